"""What the embedded platform has shown people: chat messages and direct messages, in order,
plus where the demo's virtual clock stands. It is the platform side (like Slack's servers), kept
in the database so a demo restart finds its chats — later card updates still find their message
— and its time where it was (issue 14)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from adapters.local.render import card_json, card_text
from storage.db import Database
from storage.tables import LocalMessage, VirtualTime
from workflows.cards import Card


@dataclass
class Message:
    id: str
    text: str
    card: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    urgent: bool = False
    escalation: str = ""  # an urgent ping's step: head / vp (R14)

    @classmethod
    def of(cls, row: LocalMessage) -> "Message":
        return cls(id=f"m{row.id}", text=row.text, card=row.card, created_at=row.created_at,
                   updated_at=row.updated_at, urgent=row.urgent, escalation=row.escalation)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "card": self.card, "urgent": self.urgent,
                "escalation": self.escalation, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat()}


def _row_id(message_id: str) -> int | None:
    digits = message_id[1:] if message_id.startswith("m") else ""
    return int(digits) if digits.isdigit() and len(digits) < 16 else None


class LocalStore:
    CHAT, USER = "chat", "user"

    def __init__(self, *, db: Database, workspace_id: str) -> None:
        self.db, self.workspace_id = db, workspace_id

    async def add(self, *, box: str, key: str, card: Card, now: datetime, urgent: bool = False,
                  escalation: str = "") -> Message:
        row = LocalMessage(workspace_id=self.workspace_id, box=box, key=key, text=card_text(card),
                           card=card_json(card), urgent=urgent, escalation=escalation, created_at=now, updated_at=now)
        async with self.db.uow() as uow:
            uow.add(row)
            await uow.flush()
        return Message.of(row)

    async def replace(self, message_id: str, card: Card, now: datetime) -> Message | None:
        row_id = _row_id(message_id)
        if row_id is None:
            return None
        async with self.db.uow() as uow:
            row = await uow.get(LocalMessage, row_id)
            if row is None or row.workspace_id != self.workspace_id:
                return None
            row.card, row.text, row.updated_at = card_json(card), card_text(card), now
            uow.add(row)
        return Message.of(row)

    async def messages(self, *, box: str, key: str) -> list[Message]:
        async with self.db.uow() as uow:
            rows = await uow.all(select(LocalMessage).where(
                LocalMessage.workspace_id == self.workspace_id, LocalMessage.box == box,
                LocalMessage.key == key).order_by(col(LocalMessage.id)))
        return [Message.of(r) for r in rows]

    async def chats(self) -> list[str]:
        """Group chats that have any message, the most recently active first."""
        async with self.db.uow() as uow:
            rows = await uow.all(select(LocalMessage.key, func.max(LocalMessage.id)).where(
                LocalMessage.workspace_id == self.workspace_id, LocalMessage.box == self.CHAT)
                .group_by(LocalMessage.key).order_by(func.max(LocalMessage.id).desc()))
        return [key for key, _ in rows]

    async def version(self) -> str:
        """Changes whenever anything shown changes: a live page re-renders only then."""
        async with self.db.uow() as uow:
            count, top, touched = (await uow.execute(select(
                func.count(LocalMessage.id), func.max(LocalMessage.id), func.max(LocalMessage.updated_at))
                .where(LocalMessage.workspace_id == self.workspace_id))).one()
        return f"{count}:{top}:{touched}"

    async def load_time(self, name: str) -> datetime | None:
        async with self.db.uow() as uow:
            row = await uow.get(VirtualTime, name)
        return None if row is None else row.now

    async def save_time(self, name: str, now: datetime) -> None:
        async with self.db.uow() as uow:
            row = await uow.get(VirtualTime, name)
            if row is None:
                uow.add(VirtualTime(name=name, now=now))
            else:
                row.now = now
                uow.add(row)
