"""Messages the bot owes (DESIGN rule 5): written as rows in the event's transaction; the
delivery worker sends them. Cards are already in the workspace's language."""
from __future__ import annotations

import logging
from datetime import datetime

from storage.tables import OutboxMessage
from workflows.cards import Card
from workflows.kernel.context import Ctx

log = logging.getLogger("collab.outbox")


def _row(ctx: Ctx, *, conversation: str, kind: str, card: Card, card_key: str = "",
         extra: dict | None = None, expires_at: datetime | None = None) -> None:
    """`expires_at`: the moment after which the message is pointless (a reminder for a day
    that is over): if a platform outage lasts past it, it is dropped as `expired`, not sent."""
    ctx.uow.append(
        OutboxMessage, workspace_id=ctx.workspace.id, platform=ctx.platform,
        conversation=conversation, kind=kind, card_key=card_key,
        payload={"card": card.to_dict(), "text": card.title, **(extra or {})},
        next_attempt_at=ctx.now, created_at=ctx.now, expires_at=expires_at)


def post(ctx: Ctx, *, conversation: str, card: Card, card_key: str = "") -> None:
    _row(ctx, conversation=conversation, kind="post", card=card, card_key=card_key)


def show(ctx: Ctx, *, conversation: str, card: Card, card_key: str) -> None:
    """A card changed state: inline if it is the one that was clicked, else an update row."""
    if card_key and card_key == ctx.clicked_key:
        ctx.reply_card = card
        return
    _row(ctx, conversation=conversation, kind="update", card=card, card_key=card_key)


def direct(ctx: Ctx, *, person_id: int | None, card: Card, escalation: str = "", card_key: str = "",
           expires_at: datetime | None = None) -> None:
    """A direct message; with `escalation` (the step's name: `head`, `vp`) an urgent ping (Feishu
    buzz, DingTalk DING, Slack DM). A `card_key` lets later state changes update it in place."""
    user = ctx.platform_user(person_id)
    if not user:  # never deliverable: a platform rejects an id it does not know
        log.warning("no %s user id for %s: direct message not sent", ctx.platform,
                    ctx.person_name(person_id), extra={"person_id": person_id, "title": card.title})
        return
    _row(ctx, conversation=user, kind="urgent" if escalation else "dm", card=card, card_key=card_key,
         extra={"escalation": escalation, "user": user} if escalation else {"user": user}, expires_at=expires_at)


def announce(ctx: Ctx, *, conversation: str, card: Card, people: list[int], card_key: str = "") -> None:
    """The same card in the group and privately to each person (each once): reminders and
    warnings people must not miss in a busy chat."""
    post(ctx, conversation=conversation, card=card, card_key=card_key)
    for person in dict.fromkeys(people):
        direct(ctx, person_id=person, card=card)
