"""R16 and R18 deadlines as timers: the initiator is reminded after 24 h, the initiating head
told after 24 h more; a plan not revised within 3 working days is flagged."""
from __future__ import annotations

import logging
from datetime import timedelta

from storage.tables import CollaborationRequest, Feedback, Timer
from workflows.feedback.feedback import ESCALATE, RESPOND, REVISE, card
from workflows.feedback.machine import FEEDBACK, REVISION, feedback_state, revision_state
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.requests.guard import timer_request

log = logging.getLogger("collab.timers")


async def _waiting(ctx: Ctx, timer: Timer, *, revision: bool) -> tuple[CollaborationRequest | None, Feedback | None]:
    fb = await ctx.uow.get(Feedback, int(timer.payload["feedback"]))
    still = fb is not None and (REVISION.can(revision_state(fb), "revise") if revision
                                else FEEDBACK.can(feedback_state(fb), "answer"))
    if not still:
        log.info("timer %s (%s): feedback moved on — nothing to do", timer.id, timer.kind)
        return None, None
    request = await timer_request(ctx, timer, doing="feedback", request_id=fb.request_id)  # type: ignore[union-attr]
    return (request, fb) if request is not None else (None, None)


async def remind_initiator(ctx: Ctx, timer: Timer) -> None:
    request, fb = await _waiting(ctx, timer, revision=False)
    if request is None or fb is None:
        return
    c = card(ctx, request, fb, "feedback_remind", [request.initiator_id], hours=ctx.policy.initiator_response_hours)
    outbox.announce(ctx, conversation=request.conversation, card=c, people=[request.initiator_id])
    timers.set_timer(ctx, kind=ESCALATE, subject=keys.feedback_card(fb.id), request_id=request.id, feedback=fb.id,
                     due_at=timer.due_at + timedelta(hours=ctx.policy.initiator_escalate_hours), allow_past=True)
    audit.record(ctx, action="feedback.remind", subject=keys.feedback_card(fb.id), request_id=request.id,
                 actor_id=None)


async def tell_initiating_head(ctx: Ctx, timer: Timer) -> None:
    request, fb = await _waiting(ctx, timer, revision=False)
    if request is None or fb is None:
        return
    heads = authz.heads(ctx, [request.initiating_department_id])
    c = card(ctx, request, fb, "feedback_escalate", heads, who_initiator=ctx.person_name(request.initiator_id))
    outbox.announce(ctx, conversation=request.conversation, card=c, people=heads)
    audit.record(ctx, action="feedback.escalate", subject=keys.feedback_card(fb.id), request_id=request.id,
                 actor_id=None)


async def revision_overdue(ctx: Ctx, timer: Timer) -> None:
    request, fb = await _waiting(ctx, timer, revision=True)
    if request is None or fb is None:
        return
    notify = [request.initiator_id, *authz.heads(ctx, [request.initiating_department_id])]
    c = card(ctx, request, fb, "revision_overdue", notify, days=ctx.policy.revision_working_days)
    outbox.announce(ctx, conversation=request.conversation, card=c, people=notify)
    audit.record(ctx, action="plan.revision_overdue", subject=keys.feedback_card(fb.id), request_id=request.id,
                 actor_id=None)


TIMERS = {RESPOND: remind_initiator, ESCALATE: tell_initiating_head, REVISE: revision_overdue}
