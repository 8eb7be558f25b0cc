"""What adapters hand the core, and what the core answers inline.

An adapter verifies and translates a platform payload into one of these events; the core
answers with a `Reply` — the only thing sent back inline (toast / ephemeral text, the clicked
card's new state, form validation errors, a form to open). Everything else goes through the
outbox (DESIGN rule 1).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from workflows.cards import Card


@dataclass(frozen=True)
class Tenant:
    """A platform plus that platform's workspace/tenant id; `id` is the workspace row key."""

    platform: str  # local / slack / feishu / dingtalk
    workspace: str  # Slack team id, Feishu tenant_key, DingTalk corpId, local workspace name
    # the language to answer in before the workspace row is known (an unknown workspace):
    # the adapter's platform default (R27), so the core holds no table of platforms
    locale: str = field(default="zh-CN", compare=False)

    @property
    def id(self) -> str:
        return f"{self.platform}:{self.workspace}"


# the largest id a button may carry: ids are 32-bit columns (PostgreSQL "integer out of range")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL (PostgreSQL text) and lone surrogates (UTF-8)


def storable(value: Any) -> Any:
    """Text every database can store, however it arrived: NUL removed, a lone surrogate (no
    character at all) replaced by U+FFFD — in strings, dict keys and lists, at any depth."""
    if isinstance(value, str):
        return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value) \
            if _UNSTORABLE.search(value) else value
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(v) for v in value]
    return value


@dataclass(frozen=True)
class Event:
    tenant: Tenant
    actor: str  # the platform's user id of whoever typed or clicked
    conversation: str  # chat/channel id where it happened (a DM: the user's own id)
    event_id: str  # the platform's event id, for de-duplication (DESIGN rule 3)
    at: datetime | None = None  # when the platform says it happened; None → the clock's now

    def __post_init__(self) -> None:
        """The event boundary: whatever an adapter hands in is text the database can store."""
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (str, dict, list)):
                clean = storable(value)
                if clean is not value and clean != value:
                    object.__setattr__(self, f.name, clean)


@dataclass(frozen=True)
class CommandInvoked(Event):
    """Someone typed `/collab …` (or `/协作 …`, or @bot …): `text` is what follows the command."""

    text: str = ""


@dataclass(frozen=True)
class ActionInvoked(Event):
    """Someone clicked a button: `action_id` is the core's semantic id (`task.confirm`)."""

    message: str = ""  # the platform message id of the card that was clicked
    action_id: str = ""
    value: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FormSubmitted(Event):
    """Someone submitted a form: `form_id` names it (`request.new`), `fields` maps input names to
    text (dates as ISO strings, multi-selects as lists of strings)."""

    message: str = ""
    form_id: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    value: dict[str, Any] = field(default_factory=dict)  # the form's hidden context (ids)


@dataclass
class Reply:
    """The inline answer to the person who acted, in their language.

    - `text`: private text (ephemeral message / toast / the local API's `reply`);
    - `ok`: False for refusals and errors (Feishu picks the toast type from it);
    - `card`: after a click, the clicked card's new state, to replace it at once; after a
      command, a card shown privately to the person (board, show);
    - `form`: a form to open (Slack modal, Feishu form card) — e.g. `/collab new` with no fields;
    - `errors`: per-input validation errors of a submitted form (Slack `response_action: errors`).
    """

    text: str = ""
    ok: bool = True
    card: Card | None = None
    form: Card | None = None
    errors: dict[str, str] = field(default_factory=dict)
    duplicate: bool = False  # this event id was already handled: nothing changed
    refused: bool = False  # an unauthorised click (R25): counted by /metrics
    failed: bool = False  # a bug (logged with its traceback): counted by /metrics as an error
    # the actor is no person of the org (no identity): nothing was recorded, so an adapter may
    # link them (Slack: by the email Slack holds, `link_identity`) and hand the event in again
    unknown_actor: bool = False
