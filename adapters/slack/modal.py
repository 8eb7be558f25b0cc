"""Form ↔ Slack inputs (pure): a `Form` becomes a modal view (or input blocks inside a message),
and the submitted `state.values` come back as the core's `fields` dict.

Each input's block id is its name, so the core's `Reply.errors` (input name → message) map
straight onto Slack's `response_action: errors` (block id → message).
"""
from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from workflows.cards import Card, Input, Option
from workflows.i18n import Translate

from adapters.slack.blocks import context, fit, mrkdwn, plain, section

log = logging.getLogger(__name__)

MAX_VIEW_BLOCKS = 100
MAX_TITLE = 24  # modal title / submit / close
MAX_LABEL = 2000
MAX_PLACEHOLDER = 150
MAX_INPUT = 3000  # plain_text_input max_length
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_SELECT_OPTIONS = 100
MAX_CHECKBOXES = 10
MAX_METADATA = 3000
SINGLE_CHECKBOX = "single"  # action id of a yes/no checkbox (an Input of kind checkbox, no options)


def _option(option: Option) -> dict[str, Any]:
    if len(option.value) > MAX_OPTION_VALUE:  # Slack caps values at 150: the core's ids fit
        log.warning("slack: option value of %d chars cut to %d", len(option.value),
                    MAX_OPTION_VALUE)
    return {"text": plain(option.label, MAX_OPTION_TEXT), "value": option.value[:MAX_OPTION_VALUE]}


def _initial(inp: Input, options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    wanted = inp.initial if isinstance(inp.initial, (list, tuple, set)) else [inp.initial]
    wanted_values = {str(w) for w in wanted if w is not None}
    return [o for o in options if o["value"] in wanted_values]


def input_element(inp: Input, t: Translate) -> dict[str, Any]:
    """The Block Kit element for one input; its action id is the input's name."""
    element: dict[str, Any]
    options = [_option(o) for o in inp.options]
    kind = inp.kind if (options or inp.kind in ("text", "textarea", "date", "checkbox")) else "text"
    if kind == "date":
        element = {"type": "datepicker", "action_id": inp.name}
        if isinstance(inp.initial, date):
            element["initial_date"] = inp.initial.isoformat()
        elif isinstance(inp.initial, str) and inp.initial:
            element["initial_date"] = inp.initial[:10]
    elif kind == "select":
        element = {"type": "static_select", "action_id": inp.name,
                   "options": options[:MAX_SELECT_OPTIONS]}
        chosen = _initial(inp, element["options"])
        if chosen:
            element["initial_option"] = chosen[0]
    elif kind == "multiselect":
        element = {"type": "multi_static_select", "action_id": inp.name,
                   "options": options[:MAX_SELECT_OPTIONS]}
        chosen = _initial(inp, element["options"])
        if chosen:
            element["initial_options"] = chosen
    elif kind == "checkbox" and len(options) > MAX_CHECKBOXES:  # Slack shows ≤ 10 boxes
        element = {"type": "multi_static_select", "action_id": inp.name,
                   "options": options[:MAX_SELECT_OPTIONS]}
        chosen = _initial(inp, element["options"])
        if chosen:
            element["initial_options"] = chosen
    elif kind == "checkbox":
        if options:
            element = {"type": "checkboxes", "action_id": inp.name, "options": options}
            chosen = _initial(inp, element["options"])
        else:  # a single yes/no box
            yes = {"text": plain(t("slack.checkbox.yes"), MAX_OPTION_TEXT), "value": "true"}
            element = {"type": "checkboxes", "action_id": SINGLE_CHECKBOX, "options": [yes]}
            chosen = [yes] if inp.initial in (True, "true", "yes") else []
        if chosen:
            element["initial_options"] = chosen
    else:
        element = {"type": "plain_text_input", "action_id": inp.name,
                   "multiline": kind == "textarea"}
        limit = min(inp.max_length or MAX_INPUT, MAX_INPUT)
        element["max_length"] = limit
        if inp.initial not in (None, ""):
            element["initial_value"] = str(inp.initial)[:limit]
    if inp.placeholder and element["type"] not in ("checkboxes",):
        element["placeholder"] = plain(inp.placeholder, MAX_PLACEHOLDER)
    return element


def input_block(inp: Input, t: Translate) -> dict[str, Any]:
    return {"type": "input", "block_id": inp.name, "optional": not inp.required,
            "label": plain(inp.label, MAX_LABEL), "element": input_element(inp, t)}


def encode_metadata(*, value: dict[str, Any], channel: str = "", message: str = "",
                    response_url: str = "") -> str:
    """The modal's hidden context: the form's own value plus where it was opened from, so that
    the submission can update the card it came from and answer privately in that channel."""
    data = {"v": value, "c": channel, "m": message, "r": response_url}
    encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if len(encoded) > MAX_METADATA:  # the answer's route is the part we can do without
        encoded = json.dumps({**data, "r": ""}, ensure_ascii=False, separators=(",", ":"))
    return encoded


def decode_metadata(raw: str | None) -> dict[str, Any]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    value = data.get("v")
    return {"value": value if isinstance(value, dict) else {},
            "channel": str(data.get("c") or ""), "message": str(data.get("m") or ""),
            "response_url": str(data.get("r") or "")}


def render_modal(card: Card, *, metadata: str, t: Translate) -> dict[str, Any]:
    """A `Reply.form` (a Card whose `form` is set) → a modal view for views.open/update."""
    assert card.form is not None, "render_modal needs a card with a form"
    head: list[dict[str, Any]] = []
    if card.text:
        head.append(section(mrkdwn(card.text)))
    for f in card.fields:
        head.append(section(f"*{mrkdwn(f.label)}*\n{mrkdwn(f.value)}"))
    inputs = [input_block(i, t) for i in card.form.inputs]
    blocks = fit([], head, inputs, context(t("slack.truncated")), MAX_VIEW_BLOCKS)
    return {
        "type": "modal",
        "callback_id": card.form.form_id,
        "title": plain(card.title, MAX_TITLE),
        "submit": plain(card.form.submit_label, MAX_TITLE),
        "close": plain(t("slack.modal.close"), MAX_TITLE),
        "private_metadata": metadata,
        "blocks": blocks,
    }


def fields_from_state(values: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` (or a message's `state.values`) → {input name: value}: text as text,
    dates as ISO strings, selects as the option value, multi-selects/checkboxes as lists."""
    fields: dict[str, Any] = {}
    for block_id, actions in (values or {}).items():
        if not isinstance(actions, dict):
            continue
        for action_id, state in actions.items():
            if isinstance(state, dict):
                fields[block_id] = _state_value(action_id, state)
    return fields


def _state_value(action_id: str, state: dict[str, Any]) -> Any:
    kind = state.get("type")
    if kind == "datepicker":
        return state.get("selected_date") or ""
    if kind in ("static_select", "radio_buttons"):
        return (state.get("selected_option") or {}).get("value", "")
    if kind in ("multi_static_select", "checkboxes"):
        chosen = [o.get("value", "") for o in state.get("selected_options") or []]
        if action_id == SINGLE_CHECKBOX:
            return "true" if chosen else "false"
        return chosen
    return state.get("value") or ""


def view_errors(errors: dict[str, str], view: dict[str, Any]) -> dict[str, str]:
    """The core's per-input errors → Slack's per-block errors. An error for a name the view does
    not show (a form-wide problem) is attached to the first input, so it is never lost."""
    input_ids = [b.get("block_id", "") for b in view.get("blocks", []) if b.get("type") == "input"]
    out: dict[str, str] = {}
    stray: list[str] = []
    for name, message in errors.items():
        if name in input_ids:
            out[name] = message
        else:
            stray.append(message)
    if stray and input_ids:
        first = input_ids[0]
        out[first] = "; ".join([*stray, *([out[first]] if first in out else [])])
    return {k: v[:MAX_LABEL] for k, v in out.items()}
