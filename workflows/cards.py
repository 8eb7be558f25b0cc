"""The neutral card model: every adapter renders it; the core never builds platform JSON.

Strings in a card are already in the workspace's language. Buttons carry stable semantic action
ids (`request.approve` …) plus a small JSON value (ids only), and the list of person ids allowed
to press them — adapters may show it, the core still decides on every click (DESIGN rule 6).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

Style = Literal["default", "primary", "danger"]
Tone = Literal["neutral", "info", "success", "warning", "danger"]
InputKind = Literal["text", "textarea", "date", "select", "multiselect", "checkbox"]


@dataclass
class Mention:
    """@someone: `user` is the platform user id (Slack U…, Feishu ou_…, DingTalk staff id)."""

    user: str
    name: str = ""


@dataclass
class CardField:
    label: str
    value: str
    short: bool = True  # may sit side by side with another short field


@dataclass
class Button:
    action_id: str
    label: str
    value: dict[str, Any] = field(default_factory=dict)
    style: Style = "default"
    confirm: str = ""  # non-empty → ask "are you sure?" with this text (destructive actions)
    allowed: list[str] = field(default_factory=list)  # platform user ids that may press it


@dataclass
class Option:
    value: str
    label: str


@dataclass
class Input:
    name: str
    label: str
    kind: InputKind = "text"
    required: bool = False
    placeholder: str = ""
    initial: Any = None
    options: list[Option] = field(default_factory=list)
    max_length: int | None = None


@dataclass
class Form:
    """A multi-field step (request form, RACI, self-check, verdict, plan change)."""

    form_id: str
    submit_label: str
    inputs: list[Input] = field(default_factory=list)
    value: dict[str, Any] = field(default_factory=dict)  # hidden context returned on submit


@dataclass
class Card:
    title: str
    tone: Tone = "neutral"
    text: str = ""  # plain text with light markdown (**bold**, line breaks)
    fields: list[CardField] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    form: Form | None = None
    footer: str = ""  # e.g. "confirmed by 王芳 at 10:02"

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Card":
        form = data.get("form")
        return cls(
            title=data["title"],
            tone=data.get("tone", "neutral"),
            text=data.get("text", ""),
            fields=[CardField(**f) for f in data.get("fields", [])],
            mentions=[Mention(**m) for m in data.get("mentions", [])],
            buttons=[Button(**b) for b in data.get("buttons", [])],
            form=None if form is None else Form(
                form_id=form["form_id"],
                submit_label=form["submit_label"],
                inputs=[Input(**{**i, "options": [Option(**o) for o in i.get("options", [])]})
                        for i in form.get("inputs", [])],
                value=form.get("value", {}),
            ),
            footer=data.get("footer", ""),
        )


_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    """`dataclasses.asdict` without its deep copy of every leaf: a card's values are JSON
    scalars and small dicts, copied here as they are written to the outbox — asdict was 2.5 %
    of a click's CPU (issue 15)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if is_dataclass(value):
        names = _NAMES.get(type(value))
        if names is None:
            names = _NAMES[type(value)] = tuple(f.name for f in fields(value))
        return {name: _plain(getattr(value, name)) for name in names}
    return value
