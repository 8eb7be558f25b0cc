"""The neutral Card → Slack Block Kit (pure; golden files in tests/adapters/slack/payloads/golden/).

Block Kit limits are enforced here by shortening with an ellipsis: a message Slack rejects
(`invalid_blocks`) would lose the whole card, a shortened one loses a few words.
"""
from __future__ import annotations

import logging
from typing import Any

from workflows.cards import Button, Card, CardField
from workflows.i18n import Translate

from adapters.slack import modal
from adapters.slack.codec import FORM_SUBMIT, encode_action_ids, encode_value
from adapters.slack.blocks import (MAX_TEXT, clip, context, escape, fit, mrkdwn, plain, section,
                                   sections)

log = logging.getLogger(__name__)

MAX_BLOCKS = 50  # per message (modals: 100)
MAX_FIELD = 2000  # one section field
MAX_FIELDS = 10  # fields per section
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_VALUE = 2000  # button value
MAX_ACTIONS = 25  # elements per actions block


TONE_EMOJI = {"info": ":information_source: ", "success": ":white_check_mark: ",
              "warning": ":warning: ", "danger": ":red_circle: "}


# ---- the card --------------------------------------------------------------------------------

def render_card(card: Card, t: Translate) -> dict[str, Any]:
    """`{"text": fallback, "blocks": […]}` for chat.postMessage / chat.update / ephemerals.

    The fallback text carries the mentions so that notifications ping the people named."""
    head = [{"type": "header", "text": plain(TONE_EMOJI.get(card.tone, "") + card.title,
                                            MAX_HEADER)}]
    body = sections(mrkdwn(card.text)) if card.text else []
    body.extend(_field_blocks(card.fields))
    mentions = " ".join(f"<@{m.user}>" for m in card.mentions)
    if mentions:
        body.append(section(mentions))
    tail: list[dict[str, Any]] = []
    if card.form is not None:
        tail.extend(modal.input_block(i, t) for i in card.form.inputs)
        submit = Button(FORM_SUBMIT, card.form.submit_label, style="primary",
                        value={"f": card.form.form_id, "v": card.form.value})
        tail.extend(action_blocks([submit], t))
    tail.extend(action_blocks(card.buttons, t))
    if card.footer:
        tail.append(context(mrkdwn(card.footer)))
    fallback = "\n".join(p for p in (escape(card.title), mentions, mrkdwn(card.text)) if p)
    return {"text": clip(fallback, MAX_TEXT),
            "blocks": fit(head, body, tail, context(t("slack.truncated")), MAX_BLOCKS)}


def _field_blocks(fields: list[CardField]) -> list[dict[str, Any]]:
    """Short fields side by side (≤ 10 per section), long ones in a section of their own."""
    blocks: list[dict[str, Any]] = []
    run: list[dict[str, Any]] = []
    for f in fields:
        text = f"*{escape(f.label)}*\n{mrkdwn(f.value)}"
        if f.short:
            run.append({"type": "mrkdwn", "text": clip(text, MAX_FIELD)})
            if len(run) == MAX_FIELDS:
                blocks.append({"type": "section", "fields": run})
                run = []
            continue
        if run:
            blocks.append({"type": "section", "fields": run})
            run = []
        blocks.append(section(text))
    if run:
        blocks.append({"type": "section", "fields": run})
    return blocks


def action_blocks(buttons: list[Button], t: Translate) -> list[dict[str, Any]]:
    elements = []
    ids = encode_action_ids([b.action_id for b in buttons])
    for button, action_id in zip(buttons, ids):
        element = _button(button, action_id, t)
        if element is not None:
            elements.append(element)
    return [{"type": "actions", "elements": elements[i:i + MAX_ACTIONS]}
            for i in range(0, len(elements), MAX_ACTIONS)]


def _button(button: Button, action_id: str, t: Translate) -> dict[str, Any] | None:
    value = encode_value(button.value)
    if len(value) > MAX_VALUE:
        # A button that cannot carry its ids would act on nothing: leave it out, loudly.
        log.error("slack: value of button %s is %d chars (> %d); button left out",
                  button.action_id, len(value), MAX_VALUE)
        return None
    element: dict[str, Any] = {"type": "button", "action_id": action_id,
                               "text": plain(button.label, MAX_BUTTON_TEXT), "value": value}
    if button.style in ("primary", "danger"):
        element["style"] = button.style
    if button.confirm:
        element["confirm"] = {
            "title": plain(t("slack.confirm.title"), 100),
            "text": plain(button.confirm, 300),
            "confirm": plain(t("slack.confirm.yes"), 30),
            "deny": plain(t("slack.confirm.no"), 30),
            **({"style": "danger"} if button.style == "danger" else {}),
        }
    return element


def render_text(text: str) -> dict[str, Any]:
    """A plain reply (ephemeral text) as a message body."""
    return {"text": clip(mrkdwn(text), MAX_TEXT)}
