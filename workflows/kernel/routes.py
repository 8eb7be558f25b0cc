"""What a domain package declares — its commands, button actions, forms, timer handlers and
rhythm jobs — so `workflows.router` only gathers tables and holds no logic of its own.

Button values come back from platforms as JSON a person could have tampered with; `Value`
reads them strictly, so a bad value is the user's "bad action" answer and a genuine bug still
surfaces as one (logged and counted), instead of both hiding under one `except`."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Awaitable, Callable, Mapping, Protocol

from storage.tables import Timer
from workflows.errors import UserError
from workflows.events import Reply
from workflows.grammar.types import Command
from workflows.kernel.context import Ctx

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


class BadValue(UserError):
    """A button or form whose value is not what we rendered (tampered with, or stale)."""

    def __init__(self, name: str) -> None:
        super().__init__("error.bad_action", action=name)


@dataclass(frozen=True)
class Value:
    """A clicked button's value (or a form's hidden context)."""

    raw: Mapping[str, Any]
    action: str = ""

    def id(self, name: str) -> int:
        item = self.raw.get(name)
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise BadValue(self.action)
        text = str(item).strip()
        if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
            raise BadValue(self.action)
        return int(text)

    def text(self, name: str) -> str:
        item = self.raw.get(name, "")
        return item.strip() if isinstance(item, str) else ""


CommandHandler = Callable[[Ctx, Command], Awaitable[Reply]]
ActionHandler = Callable[[Ctx, Value], Awaitable[Reply]]
FormHandler = Callable[[Ctx, Mapping[str, Any], Value], Awaitable[Reply]]
TimerHandler = Callable[[Ctx, Timer], Awaitable[None]]
class JobHandler(Protocol):
    """A cron tick's job, one chunk per call (issue 15): the cursor to go on from, None when done."""

    def __call__(self, ctx: Ctx, day: date, *, cursor: str = "", limit: int = 200) -> Awaitable[str | None]: ...


@dataclass(frozen=True)
class Routes:
    commands: Mapping[str, CommandHandler] = field(default_factory=dict)  # canonical verb →
    actions: Mapping[str, ActionHandler] = field(default_factory=dict)  # button action id →
    forms: Mapping[str, FormHandler] = field(default_factory=dict)  # form id →
    timers: Mapping[str, TimerHandler] = field(default_factory=dict)  # timer kind →
    jobs: Mapping[str, JobHandler] = field(default_factory=dict)  # rhythm job name →


def gather(*routes: Routes) -> Routes:
    """One table of each; a name declared twice is a programming error caught at import."""
    merged: dict[str, dict[str, Any]] = {"commands": {}, "actions": {}, "forms": {}, "timers": {},
                                         "jobs": {}}
    for r in routes:
        for kind, table in merged.items():
            for name, handler in getattr(r, kind).items():
                if name in table:
                    raise ValueError(f"{kind} {name!r} declared twice")
                table[name] = handler
    return Routes(**merged)
