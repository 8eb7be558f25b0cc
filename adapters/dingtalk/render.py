"""Neutral cards → DingTalk (pure): the generic template's `cardParamMap`, markdown messages,
the click callback's answer, and the guided text form where a card cannot carry a form.

DingTalk cards are instances of a template made in the card builder and filled with string
parameters. Our one generic template (adapters/dingtalk/card_template.json, docs/dingtalk.md)
has: `title`, `color`, `markdown` (text, fields, mentions, footer), and `MAX_BUTTONS` buttons
`btn{i}_label` / `btn{i}_style` / `btn{i}_show`, each sending back the callback params
`{"action": "${btn{i}_action}", "value": "${btn{i}_value}"}`. `my_status` is private per user
(`userPrivateData`): the clicker alone reads "you confirmed".
"""
from __future__ import annotations

import json
from typing import Any

from adapters.dingtalk.codec import encode_value
from adapters.inline import InlineAnswer
from workflows.cards import Button, Card
from workflows.i18n import Translate

MAX_BUTTONS = 6
MAX_PARAM = 5000  # characters per parameter: far below msgParam's 15,000-byte limit
COLOR = {"neutral": "blue", "info": "blue", "success": "green", "warning": "orange", "danger": "red"}
STYLE = {"default": "normal", "primary": "primary", "danger": "warning"}


def clip(text: str, limit: int = MAX_PARAM) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def markdown(card: Card, t: Translate) -> str:
    """Everything but the title and buttons, as DingTalk markdown."""
    lines: list[str] = []
    if card.mentions:
        lines.append(" ".join(f"@{m.user}" for m in card.mentions))
    if card.text:
        lines.append(card.text.replace("\n", "  \n"))
    lines += [f"**{f.label}**: {f.value}  " for f in card.fields]
    hidden = len(card.buttons) - MAX_BUTTONS
    if hidden > 0:
        lines.append(t("dingtalk.card.more_buttons", count=hidden))
    if card.footer:
        lines.append(f"*{card.footer}*")
    return clip("\n\n".join(lines))


def _button(index: int, button: Button | None) -> dict[str, str]:
    prefix = f"btn{index}_"
    if button is None:
        return {prefix + "show": "false", prefix + "label": "", prefix + "action": "",
                prefix + "value": "", prefix + "style": "normal"}
    return {prefix + "show": "true", prefix + "label": clip(button.label, 40),
            prefix + "action": button.action_id,
            prefix + "value": encode_value(button.value),
            prefix + "style": STYLE.get(button.style, "normal")}


def card_params(card: Card, t: Translate) -> dict[str, str]:
    """The template's `cardParamMap` (every value a string, as DingTalk requires)."""
    params = {"title": clip(card.title, 200), "color": COLOR.get(card.tone, "blue"),
              "markdown": markdown(card, t), "my_status": ""}
    buttons = list(card.buttons[:MAX_BUTTONS])
    for index in range(MAX_BUTTONS):
        params.update(_button(index, buttons[index] if index < len(buttons) else None))
    return params


def markdown_message(card: Card | None, text: str, t: Translate) -> tuple[str, str]:
    """(msgKey, msgParam) of a plain robot message: `sampleMarkdown` for a card (buttons become
    a hint, a card without a template cannot be clicked), `sampleText` for text."""
    if card is None:
        return "sampleText", json.dumps({"content": clip(text or " ")}, ensure_ascii=False)
    body = markdown(card, t)
    if card.buttons:
        body += "\n\n" + " ".join(f"[{b.label}]" for b in card.buttons[:MAX_BUTTONS])
    return "sampleMarkdown", json.dumps({"title": clip(card.title, 200),
                                         "text": f"### {card.title}\n\n{body}"}, ensure_ascii=False)


def form_text(form_card: Card, t: Translate) -> str:
    """A form as a guided text: DingTalk's cards cannot hold inputs, so the person answers
    with `label: value` lines after the command the form belongs to."""
    assert form_card.form is not None
    lines = [f"**{form_card.title}**", t("dingtalk.form.intro")]
    for field in form_card.form.inputs:
        required = t("dingtalk.form.required") if field.required else ""
        hint = field.placeholder or ", ".join(o.label for o in field.options)
        lines.append(f"- {field.label}{required}: {hint}".rstrip(": "))
    return "  \n".join(lines)


def callback_response(answer: InlineAnswer, *, actor: str, t: Translate) -> dict[str, Any]:
    """The Stream callback's `response`: the clicked card's new state at once (everyone sees it:
    `cardData`), and the clicker's own line (`userPrivateData`)."""
    response: dict[str, Any] = {"cardUpdateOptions": {"updateCardDataByKey": True,
                                                      "updatePrivateDataByKey": True}}
    if answer.replace_card is not None:
        response["cardData"] = {"cardParamMap": card_params(answer.replace_card, t)}
    note = answer.text or (t("dingtalk.card.done") if answer.ok and not answer.duplicate else "")
    if answer.duplicate and not answer.text:
        note = t("dingtalk.card.duplicate")
    if note:
        response["userPrivateData"] = {"cardParamMap": {"my_status": clip(note, 500)}}
    return response
