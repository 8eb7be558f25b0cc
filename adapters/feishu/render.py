"""Neutral card → Feishu card JSON 2.0, and the core's `Reply` → callback response / messages.

Pure functions (golden-file tests). Shapes follow Feishu's card JSON 2.0 reference: `schema`,
`config.update_multi` (PATCH-able shared cards), a coloured `header`, `body.elements` with
`markdown`, `column_set`, `button` (`behaviors: callback`) and a root-level `form` container whose
submit button (`form_action_type: submit`) calls back with `form_value`. JSON 2.0 rejects
unknown attributes, so nothing here is decorative guesswork.

Callback values are `{"a": action_id, "v": value}` for buttons and `{"f": form_id, "v": value}`
for form submits (inbound.py reads them back). User text is escaped so nobody can inject an
`<at id=all>` or other markup; cards are kept under Feishu's 30 KB message limit by truncating
the longest text first.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from workflows.cards import Button, Card, CardField, Form, Input
from workflows.events import Reply
from adapters.feishu.codec import ACTION_KEY, FORM_KEY, VALUE_KEY
from adapters.i18n import translator as platform_translator
from adapters.inline import InlineAnswer, inline_answer
from workflows.i18n import Translate



def translator(locale: str | None) -> Translate:
    """The Feishu catalog (adapters/feishu/messages.*.json) over the core's."""
    return platform_translator("feishu", locale)


TEMPLATE = {"neutral": "blue", "info": "wathet", "success": "green", "warning": "orange",
            "danger": "red"}
BUTTON_TYPE = {"default": "default", "primary": "primary", "danger": "danger"}
CARD_BUDGET_BYTES = 28 * 1024  # Feishu: card content ≤ 30 KB; keep room for the request envelope
MAX_FIELD_COLUMNS = 20  # beyond this, fields collapse into one markdown block (≤ 200 elements)
MAX_OPTIONS = 100
TOAST_MAX_CHARS = 300


def escape(text: str) -> str:
    """Markdown-safe user text: `<`/`>` as entities so `<at id=all>`, `<font>` … stay literal."""
    return text.replace("<", "&#60;").replace(">", "&#62;")


def _plain(text: str) -> dict[str, str]:
    return {"tag": "plain_text", "content": text}


def _md(content: str, **extra: Any) -> dict[str, Any]:
    return {"tag": "markdown", "content": content, **extra}


def _field_md(field: CardField) -> str:
    return f"**{escape(field.label)}**\n{escape(field.value)}"


def _fields(fields: list[CardField]) -> list[dict[str, Any]]:
    if len(fields) > MAX_FIELD_COLUMNS:
        return [_md("\n".join(f"**{escape(f.label)}**：{escape(f.value)}" for f in fields))]
    elements: list[dict[str, Any]] = []
    pending: list[CardField] = []

    def flush() -> None:
        if pending:
            elements.append({"tag": "column_set", "horizontal_spacing": "8px", "columns": [
                {"tag": "column", "width": "weighted", "weight": 1, "elements": [_md(_field_md(f))]}
                for f in pending]})
            pending.clear()

    for field in fields:
        if field.short:
            pending.append(field)
            if len(pending) == 2:
                flush()
        else:
            flush()
            elements.append(_md(_field_md(field)))
    flush()
    return elements


def _callback(value: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "callback", "value": value}]


def _button(button: Button) -> dict[str, Any]:
    element: dict[str, Any] = {
        "tag": "button",
        "text": _plain(button.label),
        "type": BUTTON_TYPE.get(button.style, "default"),
        "behaviors": _callback({ACTION_KEY: button.action_id, VALUE_KEY: button.value}),
    }
    if button.confirm:
        element["confirm"] = {"title": _plain(button.label), "text": _plain(button.confirm)}
    return element


def _buttons(buttons: list[Button]) -> list[dict[str, Any]]:
    if not buttons:
        return []
    return [{"tag": "column_set", "flex_mode": "flow", "horizontal_spacing": "8px", "columns": [
        {"tag": "column", "width": "auto", "elements": [_button(b)]} for b in buttons]}]


def _options(input_: Input) -> list[dict[str, Any]]:
    return [{"text": _plain(o.label), "value": o.value} for o in input_.options[:MAX_OPTIONS]]


def _label(input_: Input) -> dict[str, Any]:
    return _md(f"**{escape(input_.label)}**" + (" \\*" if input_.required else ""))


def _input(input_: Input) -> list[dict[str, Any]]:
    """One form item; components without a `label` attribute get a markdown label above."""
    common: dict[str, Any] = {"name": input_.name, "required": input_.required}
    if input_.placeholder:
        common["placeholder"] = _plain(input_.placeholder)
    if input_.kind in ("text", "textarea"):
        element = {"tag": "input", **common, "label": _plain(input_.label), "width": "fill"}
        if input_.initial not in (None, ""):
            element["default_value"] = str(input_.initial)
        if input_.max_length:
            element["max_length"] = min(input_.max_length, 1000)
        if input_.kind == "textarea":
            element.update(input_type="multiline_text", rows=3)
        return [element]
    if input_.kind == "date":
        element = {"tag": "date_picker", **common}
        if input_.initial:
            element["initial_date"] = str(input_.initial)[:10]
        return [_label(input_), element]
    if input_.kind == "select":
        element = {"tag": "select_static", **common, "options": _options(input_), "width": "fill"}
        if input_.initial not in (None, ""):
            element["initial_option"] = str(input_.initial)
        return [_label(input_), element]
    if input_.kind == "multiselect":
        element = {"tag": "multi_select_static", **common, "options": _options(input_),
                   "width": "fill"}
        if input_.initial:
            element["selected_values"] = [str(v) for v in input_.initial]
        return [_label(input_), element]
    return [{"tag": "checker", "name": input_.name, "checked": bool(input_.initial),
             "text": _plain(input_.label)}]


def _form(form: Form) -> dict[str, Any]:
    elements = [element for input_ in form.inputs for element in _input(input_)]
    elements.append({
        "tag": "button", "name": "submit", "text": _plain(form.submit_label), "type": "primary",
        "form_action_type": "submit",
        "behaviors": _callback({FORM_KEY: form.form_id, VALUE_KEY: form.value}),
    })
    return {"tag": "form", "name": "collab_form", "elements": elements}


def _build(card: Card) -> dict[str, Any]:
    elements: list[dict[str, Any]] = []
    if card.text:
        elements.append(_md(escape(card.text)))
    elements += _fields(card.fields)
    if card.mentions:
        elements.append(_md(" ".join(f"<at id={m.user}></at>" for m in card.mentions)))
    elements += _buttons(card.buttons)
    if card.form is not None:
        elements.append(_form(card.form))
    if card.footer:
        elements.append(_md(escape(card.footer), text_size="notation"))
    return {
        "schema": "2.0",
        "config": {"update_multi": True},
        "header": {"title": _plain(card.title), "template": TEMPLATE.get(card.tone, "blue")},
        "body": {"elements": elements},
    }


def size(card_json: dict[str, Any]) -> int:
    return len(json.dumps(card_json, ensure_ascii=False).encode("utf-8"))


def _cut(text: str, target: int, note: str) -> str:
    """`text` shortened to about `target` UTF-8 bytes, ending with "…" and the note."""
    if note in text:
        text = text[:text.index(note)].rstrip("…")
    keep = max(0, target - len(note.encode("utf-8")) - 3)
    return text.encode("utf-8")[:keep].decode("utf-8", errors="ignore").rstrip() + "…" + note


def _level(lengths: list[int], over: int, floor: int) -> int:
    """Water-filling: the largest level L ≥ floor with Σ max(0, len − L) ≥ over (or floor)."""
    low, high = floor, max(lengths, default=floor)
    while low < high:
        mid = (low + high + 1) // 2
        if sum(max(0, n - mid) for n in lengths) >= over:
            low = mid
        else:
            high = mid - 1
    return low


def fit(card: Card, budget: int = CARD_BUDGET_BYTES, *, locale: str = "zh-CN") -> Card:
    """Shorten the longest texts (card text, field values, footer) evenly until the JSON fits
    `budget`; as a last resort keep only the title and a truncation note. Never oversize."""
    note = translator(locale)("feishu.card.truncated")
    floor = len(note.encode("utf-8")) + 64
    for _ in range(8):
        over = size(_build(card)) - budget
        if over <= 0:
            return card
        rendered = lambda text: len(escape(text).encode("utf-8"))  # what the JSON carries
        lengths = [rendered(t) for t in [card.text, card.footer] + [f.value for f in card.fields]]
        level = _level(lengths, over + 64, floor)
        if all(n <= level for n in lengths):
            break  # the excess is not in the texts (a huge form, many fields): fall back below

        def shorten(text: str) -> str:
            if rendered(text) <= level:
                return text
            return _cut(text, level * len(text.encode("utf-8")) // rendered(text), note)

        card = replace(card, text=shorten(card.text), footer=shorten(card.footer),
                       fields=[replace(f, value=shorten(f.value)) for f in card.fields])
    if size(_build(card)) <= budget:
        return card
    return Card(title=card.title[:100], tone=card.tone, text=note)


def card_json(card: Card, *, locale: str = "zh-CN") -> dict[str, Any]:
    return _build(fit(card, locale=locale))


def card_content(card: Card, *, locale: str = "zh-CN") -> str:
    """The `content` string of an interactive message (send / PATCH / reply)."""
    return json.dumps(card_json(card, locale=locale), ensure_ascii=False)


def text_content(text: str) -> str:
    return json.dumps({"text": text}, ensure_ascii=False)


def _errors(reply: InlineAnswer) -> str:
    return "；".join(reply.errors.values())


def toast_type(reply: Reply | InlineAnswer) -> str:
    if reply.duplicate:
        return "info"
    return "success" if reply.ok and not reply.refused and not reply.errors else "error"


def callback_response(reply: Reply | InlineAnswer, *, locale: str = "zh-CN",
                      form_sent: bool = False) -> dict[str, Any]:
    """What a card click or form submit answers within 3 s: a toast (success, or the refusal's
    reason) plus, when the core says so, the clicked card's new state for everyone at once."""
    reply = inline_answer(reply, clicked=True)
    t = translator(locale)
    if reply.text:
        content = reply.text
    elif reply.errors:
        content = t("feishu.toast.fix_errors", errors=_errors(reply))
    elif form_sent:
        content = t("feishu.toast.form_sent")
    elif reply.duplicate:
        content = t("feishu.toast.duplicate")
    else:
        content = t("feishu.toast.done")
    response: dict[str, Any] = {"toast": {"type": toast_type(reply), "content": content[:TOAST_MAX_CHARS]}}
    if reply.replace_card is not None:
        response["card"] = {"type": "raw", "data": card_json(reply.replace_card, locale=locale)}
    return response


def reply_messages(reply: Reply | InlineAnswer, *, locale: str = "zh-CN",
                   with_card: bool = True) -> list[tuple[str, str]]:
    """The `(msg_type, content)` messages that answer a typed command (Feishu has no inline
    answer to a message event): the text, then the card or form. A re-pushed event → nothing."""
    reply = inline_answer(reply, clicked=False)
    if reply.duplicate:
        return []
    messages: list[tuple[str, str]] = []
    if reply.errors:
        lines = "\n".join(f"• {message}" for message in reply.errors.values())
        messages.append(("text", text_content(translator(locale)("feishu.reply.errors", errors=lines))))
    if reply.text:
        messages.append(("text", text_content(reply.text)))
    for card in (reply.private_card if with_card else None, reply.form):
        if card is not None:
            messages.append(("interactive", card_content(card, locale=locale)))
    return messages
