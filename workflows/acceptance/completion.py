"""R21 协作完成确认函: after a pass both sides sign; the last signature completes the request.
And R20's rework deadline, fired by a timer."""
from __future__ import annotations

from storage.tables import CollaborationRequest, Timer
from workflows.acceptance.cards import completion_card
from workflows.cards import Card
from workflows.events import Reply
from workflows.kernel import audit, authz, keys, outbox
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import tasks_of
from workflows.kernel.signoff import all_signed, sign
from workflows.kernel.widgets import mentions
from workflows.requests.cards import request_card
from workflows.requests.guard import open_request, require, timer_request
from workflows.requests.machine import REQUEST, RequestState


async def completion_sides(ctx: Ctx, request: CollaborationRequest) -> list[int]:
    """R21 both sides: the initiating department and every lead department."""
    leads = [t.lead_department_id for t in await tasks_of(ctx, request.id)]
    return list(dict.fromkeys([request.initiating_department_id, *leads]))


async def confirm_completion(ctx: Ctx, *, request_id: int, dept_id: int) -> Reply:
    request = await open_request(ctx, request_id=request_id, doing="view", lock=True)
    sides = await completion_sides(ctx, request)
    done, already = await sign(ctx, request=request, kind="completion", dept_id=dept_id, required=sides,
                               guard=lambda: require(ctx, request, "complete"), action="completion.confirm",
                               subject=keys.completion_card(request.id))
    if already:
        return already
    if all_signed(done, sides):
        before = request.state
        request.state, request.updated_at = REQUEST.next(before, "complete"), ctx.now
        audit.record(ctx, action="request.complete", subject=keys.request_card(request.id), request_id=request.id,
                     before=before, after=request.state)
        outbox.show(ctx, conversation=request.conversation, card_key=keys.request_card(request.id),
                    card=request_card(ctx, request))
    outbox.show(ctx, conversation=request.conversation, card_key=keys.completion_card(request.id),
                card=completion_card(ctx, request, sides, done))
    return Reply(text=ctx.t("reply.completion_confirmed", dept=ctx.dept_name(dept_id), number=request.number))


async def rework_overdue(ctx: Ctx, timer: Timer) -> None:
    """R20: the rework deadline passed without a new delivery — the lead side and initiator are told."""
    request = await timer_request(ctx, timer, doing="deliver")
    if request is None or request.state != RequestState.REWORK:
        return
    tasks = await tasks_of(ctx, request.id)
    notify = list(dict.fromkeys([request.initiator_id, *authz.heads(ctx, [t.lead_department_id for t in tasks])]))
    card = Card(title=ctx.t("rework_overdue.title", number=request.number), tone="danger",
                text=ctx.t("rework_overdue.text", number=request.number), mentions=mentions(ctx, notify))
    outbox.announce(ctx, conversation=request.conversation, card=card, people=notify)
    audit.record(ctx, action="rework.overdue", subject=keys.request_card(request.id), request_id=request.id,
                 actor_id=None)
