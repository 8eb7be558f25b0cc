"""What the embedded platform has shown people: chat messages and direct messages, in order.
It is the platform side (like Slack's servers), so it lives in memory, not in our database."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.local.render import card_json, card_text
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

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "card": self.card, "urgent": self.urgent,
                "escalation": self.escalation, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat()}


@dataclass
class LocalStore:
    chats: dict[str, list[Message]] = field(default_factory=dict)
    users: dict[str, list[Message]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def add(self, *, box: dict[str, list[Message]], key: str, card: Card, now: datetime,
            urgent: bool = False, escalation: str = "") -> Message:
        msg = Message(id=f"m{next(self._ids)}", text=card_text(card), card=card_json(card),
                      created_at=now, updated_at=now, urgent=urgent, escalation=escalation)
        box.setdefault(key, []).append(msg)
        return msg

    def find(self, message_id: str) -> Message | None:
        for box in (self.chats, self.users):
            for messages in box.values():
                for msg in messages:
                    if msg.id == message_id:
                        return msg
        return None

    def replace(self, message_id: str, card: Card, now: datetime) -> Message | None:
        msg = self.find(message_id)
        if msg is not None:
            msg.card, msg.text, msg.updated_at = card_json(card), card_text(card), now
        return msg
