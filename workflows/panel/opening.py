"""Where acceptance (R19/R20) meets the panel (R35): the vote card on each delivery, and whether
a verdict may be recorded by hand. Kept apart from `panel.service`, which records verdicts
through `acceptance.service` — so acceptance can import this without a cycle."""
from __future__ import annotations

from datetime import timedelta

from storage.tables import CollaborationRequest, Delivery
from workflows.kernel import keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.panel.cards import vote_card
from workflows.panel.machine import PanelRule

REMIND = "panel.remind"


def open_vote(ctx: Ctx, request: CollaborationRequest, delivery: Delivery) -> None:
    """Called in the delivery's transaction (R19 → R35) when the request chose a panel."""
    if not request.acceptance_rule:
        return
    key = keys.vote_card(delivery.id)  # type: ignore[arg-type]
    outbox.post(ctx, conversation=request.conversation, card_key=key, card=vote_card(ctx, request, delivery, []))
    timers.set_timer(ctx, kind=REMIND, subject=key, request_id=request.id, delivery=delivery.id,
                     due_at=ctx.now + timedelta(hours=ctx.policy.confirm_remind_hours))


def manual_allowed(request: CollaborationRequest) -> bool:
    """Under `unanimous` the votes decide; nobody records the verdict by hand (R35)."""
    return request.acceptance_rule != PanelRule.UNANIMOUS
