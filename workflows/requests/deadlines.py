"""R4's clock: a request waiting for its initial review reminds the reviewing head every 24 h
(like R6's sign-off reminders) until it is approved, rejected or cancelled."""
from __future__ import annotations

from datetime import timedelta

from storage.tables import Timer
from workflows.cards import Card
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import mentions
from workflows.requests.guard import timer_request

REVIEW_REMIND = "review.remind"


def schedule_review_reminder(ctx: Ctx, *, request_id: int, after: timedelta) -> None:
    timers.set_timer(ctx, kind=REVIEW_REMIND, subject=keys.request_card(request_id), request_id=request_id,
                     due_at=ctx.now + after, allow_past=True)


async def remind_reviewer(ctx: Ctx, timer: Timer) -> None:
    request = await timer_request(ctx, timer, doing="review")
    if request is None:
        return
    heads = authz.may_review(ctx, request)
    waited = ctx.now - request.created_at
    card = Card(title=ctx.t("review_remind.title", number=request.number), tone="warning",
                text=ctx.t("review_remind.text", number=request.number, title=request.title,
                           who=ctx.person_name(request.initiator_id), hours=int(waited.total_seconds() // 3600)),
                mentions=mentions(ctx, heads))
    outbox.announce(ctx, conversation=request.conversation, card=card, people=heads)
    audit.record(ctx, action=REVIEW_REMIND, subject=keys.request_card(request.id), request_id=request.id,
                 actor_id=None)
    timers.set_timer(ctx, kind=REVIEW_REMIND, subject=keys.request_card(request.id), request_id=request.id,
                     due_at=timer.due_at + timedelta(hours=ctx.policy.confirm_remind_hours), allow_past=True)


TIMERS = {REVIEW_REMIND: remind_reviewer}
