"""Inline answers that could not be sent at once, queued in the outbox (issue 14).

An adapter answers a click or a command through the platform API right after the ack; when that
call fails (outage, 5xx, timeout) the answer must not be lost. It becomes an outbox row like any
other, in a transaction of its own (the event's transaction has committed long before). A card
update needs the platform message it replaces: a `message_ref` under the key `platform:<id>`
lets the delivery worker find it exactly as it finds a logical card's message.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import select

from storage.db import Database
from storage.tables import MessageRef
from workflows.kernel.outbox import queue


async def defer(db: Database, *, now: datetime, workspace_id: str, platform: str, kind: str,
                conversation: str, payload: dict[str, Any], target: str = "") -> None:
    card_key = ""
    async with db.uow() as uow:
        if kind == "update" and target:
            card_key = f"platform:{target}"
            ref = await uow.first(select(MessageRef).where(
                MessageRef.workspace_id == workspace_id, MessageRef.conversation == conversation,
                MessageRef.card_key == card_key))
            if ref is None:
                uow.add(MessageRef(workspace_id=workspace_id, conversation=conversation,
                                   card_key=card_key, platform_message_id=target))
        queue(uow, workspace_id=workspace_id, platform=platform, conversation=conversation,
              kind=kind, payload=payload, now=now, card_key=card_key)
