"""A user mistake the core answers in the user's language (never a 500, nothing written)."""
from __future__ import annotations

from typing import Any

from storage.db import DatabaseUnavailable


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


# The infrastructure failed (database unreachable, timed out): nothing was committed, so the
# adapter answers the platform in a way that makes it redeliver (Feishu 503, Slack no 2xx,
# DingTalk no ack) and tells nobody the event was handled. One class from storage up.
Unavailable = DatabaseUnavailable
