"""Messages the bot owes (DESIGN rule 5): written as rows in the event's transaction; the
delivery worker sends them. Cards are already in the workspace's language."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from storage.db import UnitOfWork
from storage.tables import OutboxMessage
from workflows.cards import Card
from workflows.kernel.context import Ctx

log = logging.getLogger("collab.outbox")


def queue(uow: UnitOfWork, *, workspace_id: str, platform: str, conversation: str, kind: str,
          payload: dict[str, Any], now: datetime, card_key: str = "",
          expires_at: datetime | None = None) -> None:
    """The one way a message is owed — an event's card, an inline answer that could not be sent,
    an adapter's own notice: a row due at once, sent by the delivery worker.

    `expires_at`: the moment after which the message is pointless (a reminder for a day
    that is over): if a platform outage lasts past it, it is dropped as `expired`, not sent."""
    uow.append(OutboxMessage, workspace_id=workspace_id, platform=platform, conversation=conversation,
               kind=kind, card_key=card_key, payload=payload, next_attempt_at=now, created_at=now,
               expires_at=expires_at)


def card_payload(card: Card, **extra: Any) -> dict[str, Any]:
    """A card as the delivery worker reads it; `text` is the fallback where cards do not show."""
    return {"card": card.to_dict(), "text": card.title, **extra}


def _row(ctx: Ctx, *, conversation: str, kind: str, card: Card, card_key: str = "",
         extra: dict | None = None, expires_at: datetime | None = None) -> None:
    queue(ctx.uow, workspace_id=ctx.workspace.id, platform=ctx.platform, conversation=conversation,
          kind=kind, payload=card_payload(card, **(extra or {})), now=ctx.now, card_key=card_key,
          expires_at=expires_at)


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
