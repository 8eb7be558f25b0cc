"""R28 确认接收: the card goes out the moment the initiating head approves (R4); a department's
head, liaison or contact person confirms for that department only; 1 working day later those
still waiting are reminded, and one working day after that — and every working day until all
have received — their VP and the initiating head are told (the R6 way: again and again)."""
from __future__ import annotations

from datetime import datetime, time

from storage.tables import CollaborationRequest, Timer
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.receipts.cards import nudge_card, receipt_card, receiver_ids, waiting
from workflows.requests.cards import request_card
from workflows.requests.guard import open_request, timer_request

REMIND, ESCALATE = "receipt.remind", "receipt.escalate"


def _working_days_later(ctx: Ctx, when: datetime, days: int) -> datetime:
    local = ctx.calendar.local(when)
    return ctx.calendar.at_local(ctx.calendar.add_working_days(local.date(), days),
                                 time(local.hour, local.minute))


def open_receipt(ctx: Ctx, request: CollaborationRequest) -> None:
    """Called in the approval's transaction (R4 → R28): the card, and the 1-working-day clock."""
    key = keys.receipt_card(request.id)
    outbox.post(ctx, conversation=request.conversation, card_key=key, card=receipt_card(ctx, request))
    timers.set_timer(ctx, kind=REMIND, subject=key, request_id=request.id,
                     due_at=_working_days_later(ctx, ctx.now, ctx.policy.receipt_working_days))


async def receive(ctx: Ctx, *, request_id: int | None = None, number: str | None = None,
                  dept_id: int | None = None) -> Reply:
    """One department confirms receipt; without a department (typed), the actor's own."""
    request = await open_request(ctx, request_id=request_id, number=number, doing="receive", lock=True)
    actor = ctx.actor
    dept = dept_id if dept_id is not None else next(
        (d for d in request.collaborating if actor and actor.id in authz.may_receive_for(ctx, request, d)), None)
    if dept is None or dept not in request.collaborating:
        raise UserError("error.receipt_dept", number=request.number)
    if actor is None or actor.id not in authz.may_receive_for(ctx, request, dept):
        raise Refused("refused.receive", dept=ctx.dept_name(dept))
    got = request.received.get(str(dept))
    if got:
        return Reply(ok=False, text=ctx.t("reply.already_received", dept=ctx.dept_name(dept),
                                          who=ctx.person_name(got["person"]),
                                          when=ctx.local_text(datetime.fromisoformat(got["at"]))))
    request.received = {**request.received, str(dept): {"person": actor.id, "at": ctx.now.isoformat()}}
    request.updated_at = ctx.now
    key = keys.receipt_card(request.id)
    audit.record(ctx, action="request.receive", subject=key, request_id=request.id,
                 detail={"department": ctx.dept_name(dept), "rule": "R28"})
    if not waiting(request):
        await timers.cancel(ctx.uow, subject=key, kinds=[REMIND, ESCALATE])
    outbox.show(ctx, conversation=request.conversation, card_key=key, card=receipt_card(ctx, request))
    outbox.show(ctx, conversation=request.conversation, card_key=keys.request_card(request.id),
                card=request_card(ctx, request))
    return Reply(text=ctx.t("reply.received", dept=ctx.dept_name(dept), number=request.number))


async def _pending(ctx: Ctx, timer: Timer) -> tuple[CollaborationRequest | None, list[int]]:
    request = await timer_request(ctx, timer, doing="receive", lock=True)
    if request is None:
        return None, []
    return request, waiting(request)


async def remind(ctx: Ctx, timer: Timer) -> None:
    """1 working day after approval: those who have not confirmed receipt are reminded."""
    request, pending = await _pending(ctx, timer)
    if request is None or not pending:
        return
    outbox.announce(ctx, conversation=request.conversation, card=nudge_card(ctx, request, pending, step="remind"),
                    people=receiver_ids(ctx, request, pending))
    audit.record(ctx, action=REMIND, subject=timer.subject, request_id=request.id, actor_id=None,
                 detail={"waiting": [ctx.dept_name(d) for d in pending], "rule": "R28"})
    timers.set_timer(ctx, kind=ESCALATE, subject=timer.subject, request_id=request.id, allow_past=True,
                     due_at=_working_days_later(ctx, timer.due_at, 1))


async def escalate(ctx: Ctx, timer: Timer) -> None:
    """Still not received a working day after the reminder: the VP of each waiting department
    and the initiating head are told — every working day until all have received."""
    request, pending = await _pending(ctx, timer)
    if request is None or not pending:
        return
    vps = [vp for d in pending if (dept := ctx.dept(d)) and (vp := dept.vp_id)]
    card = nudge_card(ctx, request, pending, step="vp")
    outbox.post(ctx, conversation=request.conversation, card=card)
    for person in dict.fromkeys(vps):
        outbox.direct(ctx, person_id=person, card=card, escalation="vp")
    for person in authz.heads(ctx, [request.initiating_department_id]):
        outbox.direct(ctx, person_id=person, card=card)
    audit.record(ctx, action=ESCALATE, subject=timer.subject, request_id=request.id, actor_id=None,
                 detail={"waiting": [ctx.dept_name(d) for d in pending], "rule": "R28"})
    timers.set_timer(ctx, kind=ESCALATE, subject=timer.subject, request_id=request.id, allow_past=True,
                     due_at=_working_days_later(ctx, timer.due_at, 1))


TIMERS = {REMIND: remind, ESCALATE: escalate}
