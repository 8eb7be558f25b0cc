"""The neutral inline answer (adapters/inline.py) → what Slack gets (pure): the ack body, then
the follow-up calls.

Only what the ack can carry is in the ack (slash-command ephemeral text, modal errors, the next
modal step); everything else — the clicked card's new state, a private answer, a modal to open —
is a Web API / response_url call made right after the ack. Each call carries its `fallback`: if
Slack does not take it, the outbox sends it later (a card update, or the private answer as a DM).
Refused clicks get a private answer only (R25).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.base import Deferred
from adapters.inline import InlineAnswer, inline_answer
from workflows.cards import Button, Card
from workflows.events import Reply
from workflows.i18n import Translate

from adapters.slack.blocks import MAX_TEXT, clip, context, fit, mrkdwn, section, sections
from adapters.slack.inbound import Origin
from adapters.slack.modal import encode_metadata, render_modal, view_errors
from adapters.slack.codec import OPEN_FORM
from adapters.slack.render import MAX_BLOCKS, action_blocks, render_card


@dataclass
class Call:
    """One follow-up: a Web API `method` with JSON `args`, or a POST of `args` to `url`
    (a response_url, which needs no token and works where the bot is not a member)."""

    method: str
    args: dict[str, Any]
    url: str = ""
    fallback: Deferred | None = None  # what the outbox sends instead if this call fails


def _privately_later(origin: Origin, *, text: str = "", card: Card | None = None) -> Deferred:
    """A private answer Slack did not take: a direct message from the app instead."""
    return Deferred(kind="dm", conversation=origin.user, text=text, card=card)


@dataclass
class Plan:
    ack: dict[str, Any] | None = None  # None: an empty 200
    calls: list[Call] = field(default_factory=list)


def private_body(reply: Reply | InlineAnswer, t: Translate) -> dict[str, Any]:
    """Text and/or card for a message only the actor sees."""
    fallback = mrkdwn(reply.text)
    blocks = sections(fallback) if reply.text else []
    if reply.card is not None:
        card = render_card(reply.card, t)
        blocks.extend(card["blocks"])
        fallback = fallback or card["text"]
    body: dict[str, Any] = {"text": clip(fallback or " ", MAX_TEXT)}
    if reply.card is not None or len(fallback) > MAX_TEXT:
        body["blocks"] = fit([], blocks, [], context(t("slack.truncated")), MAX_BLOCKS)
    return body


def _say_privately(origin: Origin, body: dict[str, Any], fallback: Deferred | None = None) -> Call:
    if origin.response_url:
        return Call("respond", {"response_type": "ephemeral", "replace_original": False, **body},
                    url=origin.response_url, fallback=fallback)
    if origin.channel:
        return Call("chat.postEphemeral", {"channel": origin.channel, "user": origin.user, **body},
                    fallback=fallback)
    return Call("chat.postMessage", {"channel": origin.user, **body}, fallback=fallback)  # app DM


def _open_modal(origin: Origin, reply: InlineAnswer, t: Translate) -> Call:
    assert reply.form is not None and reply.form.form is not None
    # an ephemeral card cannot be chat.update'd later: remember only the channel then
    metadata = encode_metadata(value=reply.form.form.value, channel=origin.channel,
                               message="" if origin.ephemeral else origin.message,
                               response_url=origin.response_url)
    return Call("views.open", {"trigger_id": origin.trigger_id,
                               "view": render_modal(reply.form, metadata=metadata, t=t)})


def _has_form(reply: InlineAnswer) -> bool:
    return reply.form is not None and reply.form.form is not None


def plan(origin: Origin, reply: Reply | InlineAnswer, t: Translate, *,
         command: str = "/collab") -> Plan:
    """The neutral inline answer (adapters/inline.py) → Slack's ack and follow-up calls."""
    reply = inline_answer(reply, clicked=origin.kind in ("action", "view"))
    if reply.duplicate:  # handled before: the first delivery already answered
        return Plan()
    return {"command": _command, "mention": _mention, "action": _action,
            "view": _view}[origin.kind](origin, reply, t, command)


def _command(origin: Origin, reply: InlineAnswer, t: Translate, command: str) -> Plan:
    if _has_form(reply) and origin.trigger_id:
        ack = {"response_type": "ephemeral", **private_body(reply, t)} if reply.text else None
        return Plan(ack=ack, calls=[_open_modal(origin, reply, t)])
    return Plan(ack={"response_type": "ephemeral", **private_body(reply, t)})


def _mention(origin: Origin, reply: InlineAnswer, t: Translate, command: str) -> Plan:
    if not _has_form(reply):
        later = _privately_later(origin, text=reply.text, card=reply.card)
        return Plan(calls=[_say_privately(origin, private_body(reply, t), later)])
    # A mention has no trigger_id, so no modal: offer a button that re-runs the command.
    hint = t("slack.form.open_hint")
    button = Button(OPEN_FORM, t("slack.form.open"), value={"text": origin.text}, style="primary")
    actions = action_blocks([button], t)
    if not actions or not actions[0]["elements"]:
        body = {"text": mrkdwn(t("slack.form.too_long", command=command, text=origin.text))}
    else:
        body = {"text": hint, "blocks": [section(mrkdwn(hint)), *actions]}
    return Plan(calls=[_say_privately(origin, body)])


def _action(origin: Origin, reply: InlineAnswer, t: Translate, command: str) -> Plan:
    if reply.refused or not reply.ok:
        return Plan(calls=[_say_privately(origin, private_body(InlineAnswer(text=reply.text), t),
                                          _privately_later(origin, text=reply.text))]
                    if reply.text else [])
    calls: list[Call] = []
    if _has_form(reply) and origin.trigger_id:
        calls.append(_open_modal(origin, reply, t))
    if reply.card is not None and origin.message:
        card = render_card(reply.card, t)
        if origin.ephemeral and origin.response_url:
            calls.append(Call("respond", {"replace_original": True, **card},
                              url=origin.response_url))
        elif not origin.ephemeral and origin.channel:
            calls.append(Call("chat.update", {"channel": origin.channel, "ts": origin.message,
                                              **card},
                              fallback=Deferred(kind="update", conversation=origin.channel,
                                                card=reply.card, target=origin.message)))
    if reply.text:
        calls.append(_say_privately(origin, private_body(InlineAnswer(text=reply.text), t),
                                    _privately_later(origin, text=reply.text)))
    return Plan(calls=calls)


def _view(origin: Origin, reply: InlineAnswer, t: Translate, command: str) -> Plan:
    view = origin.view or {}
    errors = dict(reply.errors)
    if not errors and (reply.refused or not reply.ok) and reply.text:
        errors = {"": reply.text}  # shown on the first input; the modal stays open
    mapped = view_errors(errors, view) if errors else {}
    if mapped:
        return Plan(ack={"response_action": "errors", "errors": mapped})
    if _has_form(reply):  # the next step of a multi-step form
        assert reply.form is not None and reply.form.form is not None
        metadata = encode_metadata(value=reply.form.form.value, channel=origin.channel,
                                   message=origin.message, response_url=origin.response_url)
        return Plan(ack={"response_action": "update",
                         "view": render_modal(reply.form, metadata=metadata, t=t)})
    calls: list[Call] = []
    updated = False
    if reply.card is not None and origin.channel and origin.message:
        calls.append(Call("chat.update", {"channel": origin.channel, "ts": origin.message,
                                          **render_card(reply.card, t)},
                          fallback=Deferred(kind="update", conversation=origin.channel,
                                            card=reply.card, target=origin.message)))
        updated = True
    if reply.text or (reply.card is not None and not updated):
        shown = InlineAnswer(text=reply.text, private_card=None if updated else reply.card)
        calls.append(_say_privately(origin, private_body(shown, t),
                                    _privately_later(origin, text=shown.text, card=shown.card)))
    return Plan(calls=calls)
