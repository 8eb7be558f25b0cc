"""What the command grammar hands the services: a parsed `Command` or a `CommandError`.

Kept apart from the grammar so the field and task parsers can raise `CommandError` without an
import cycle; `workflows.grammar.commands` re-exports both.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Command:
    """One parsed command. Dates stay raw text: services parse them with `workflows.grammar.dates` and
    the workspace's today, so the grammar never reads a clock."""

    verb: str  # canonical English verb: "new", "daily", …
    ref: str | None = None  # request number, upper-cased: "XT-2026-001"
    sub: int | None = None  # the #N after the number: task / issue / feedback seq
    words: list[str] = field(default_factory=list)  # bare keywords, canonical: "urgent", "done"
    text: str = ""  # free text before the first field, stripped
    fields: dict[str, Any] = field(default_factory=dict)  # canonical field name → parsed value
    tasks: list[dict[str, Any]] = field(default_factory=list)  # assign: one dict per task line


class CommandError(Exception):
    """A command we cannot accept: `key` is the i18n message key (`command.unknown_field`),
    `params` fill its placeholders, `verb` names the command whose usage to show."""

    def __init__(self, key: str, params: dict[str, Any] | None = None, *,
                 verb: str | None = None) -> None:
        super().__init__(key, params or {}, verb)
        self.key = key
        self.params: dict[str, Any] = dict(params or {})
        self.verb = verb

    def __str__(self) -> str:
        return f"{self.key} {self.params} (verb={self.verb})"
