"""A user mistake the core answers in the user's language (never a 500, nothing written)."""
from __future__ import annotations

from typing import Any


class UserError(Exception):
    """`key` is an i18n key; `field` names the form input it belongs to (modal errors)."""

    def __init__(self, key: str, *, field: str = "", usage: str | None = None, **params: Any) -> None:
        super().__init__(key)
        self.key, self.field, self.usage, self.params = key, field, usage, params


class Refused(Exception):
    """R25: a click or command by someone who may not do it — private answer plus audit row."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key, self.params = key, params


class Unavailable(Exception):
    """The infrastructure failed (database unreachable, timeout) — not the user, not the event.

    Nothing was committed, so the adapter must answer so that the platform delivers the event
    again (Feishu 503, Slack no 2xx, DingTalk no ack) and must not tell the person "done"."""
