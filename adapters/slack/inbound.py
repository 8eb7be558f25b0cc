"""Slack payloads → core events (pure; tested on the recorded payloads in tests/payloads/slack/).

Event ids (DESIGN rule 3): the Events API `event_id` for mentions (a retry with
`X-Slack-Retry-Num` repeats it); the `trigger_id` for slash commands, clicks and submissions
(unique per interaction, repeated by a Socket Mode redelivery). The event time is left to the
core's clock: the demo and the tests move that clock, and Slack's own stamps would disagree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from workflows.events import ActionInvoked, CommandInvoked, Event, FormSubmitted, Tenant

from adapters.slack.modal import decode_metadata, fields_from_state
from adapters.slack.codec import FORM_SUBMIT, OPEN_FORM, decode_action_id, decode_value

PLATFORM = "slack"
LOCALE = "en"  # R27: a Slack workspace speaks English unless its row says otherwise

_TOKEN = re.compile(r"<([^<>\n]+)>")


class Malformed(ValueError):
    """A payload without what every interaction carries (team, user, …): answered with 400."""


@dataclass(frozen=True)
class Origin:
    """Where an interaction happened: what the follow-ups (ephemeral answer, card update,
    modal) need besides the core's Reply."""

    kind: str  # command / mention / action / view
    team: str
    user: str
    channel: str = ""
    message: str = ""  # ts of the clicked message, or of the card a modal was opened from
    ephemeral: bool = False  # the clicked message is ephemeral (cannot be chat.update'd)
    response_url: str = ""
    trigger_id: str = ""
    text: str = ""  # the command text (mentions: to re-run it from an "open the form" button)
    view: dict[str, Any] | None = None  # the submitted view (view_submission)


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _need(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise Malformed(f"slack payload without {what}")
    return value


def command_text(text: str) -> str:
    """Message markup → what a person typed: `<@U1|ann>` → `@U1` (the core's `@person`
    form, resolved through the person's platform identity), links → their label, `&lt;` → `<`."""

    def token(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return target
        if target.startswith("#") or target.startswith("!"):
            return label or target
        return label or target.removeprefix("mailto:")

    text = _TOKEN.sub(token, text or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def command_event(body: dict[str, Any]) -> tuple[CommandInvoked, Origin]:
    """`/collab …` (form-encoded body, already parsed by bolt)."""
    team = _need(body.get("team_id"), "team_id")
    user = _need(body.get("user_id"), "user_id")
    channel = _need(body.get("channel_id"), "channel_id")
    trigger = _need(body.get("trigger_id"), "trigger_id")
    text = command_text(body.get("text") or "")
    event = CommandInvoked(tenant=Tenant(PLATFORM, team, locale=LOCALE), actor=user, conversation=channel,
                           event_id=trigger, text=text)
    return event, Origin("command", team, user, channel=channel, trigger_id=trigger, text=text,
                         response_url=body.get("response_url") or "")


def mention_event(body: dict[str, Any]) -> tuple[CommandInvoked, Origin]:
    """`@bot …` in a channel (Events API `app_mention`): the same grammar as the command."""
    event = body.get("event") or {}
    team = _need(body.get("team_id") or event.get("team"), "team_id")
    user = _need(event.get("user"), "event.user")
    channel = _need(event.get("channel"), "event.channel")
    event_id = _need(body.get("event_id"), "event_id")
    bots = {a.get("user_id") for a in body.get("authorizations") or [] if a.get("is_bot")}
    raw = event.get("text") or ""
    if bots:
        for bot in bots:
            raw = re.sub(rf"<@{re.escape(bot)}(\|[^>]*)?>", " ", raw)
    else:  # no authorizations (older envelopes): the leading mention is the bot's
        raw = re.sub(r"^\s*<@[^>]+>", " ", raw)
    text = re.sub(r"\s+", " ", command_text(raw)).strip()
    core_event = CommandInvoked(tenant=Tenant(PLATFORM, team, locale=LOCALE), actor=user, conversation=channel,
                                event_id=event_id, text=text)
    return core_event, Origin("mention", team, user, channel=channel, text=text)


def _interaction_team(body: dict[str, Any]) -> str:
    return _need(_get(body, "team", "id") or _get(body, "user", "team_id")
                 or _get(body, "view", "team_id"), "team.id")


def action_event(body: dict[str, Any]) -> tuple[Event, Origin]:
    """A button click (`block_actions`) → ActionInvoked; our reserved buttons become the form
    submission or the command they stand for."""
    team = _interaction_team(body)
    user = _need(_get(body, "user", "id"), "user.id")
    actions = body.get("actions") or []
    if not actions or not isinstance(actions[0], dict):
        raise Malformed("block_actions without actions")
    action = actions[0]
    action_id = decode_action_id(_need(action.get("action_id"), "action_id"))
    trigger = body.get("trigger_id") or ""
    event_id = trigger or f"{user}:{action.get('action_ts', '')}:{action_id}"
    container = body.get("container") or {}
    channel = _get(body, "channel", "id") or container.get("channel_id") or ""
    message = container.get("message_ts") or _get(body, "message", "ts") or ""
    origin = Origin("action", team, user, channel=channel, message=message,
                    ephemeral=bool(container.get("is_ephemeral")), trigger_id=trigger,
                    response_url=body.get("response_url") or "")
    tenant = Tenant(PLATFORM, team, locale=LOCALE)
    value = decode_value(action.get("value"))
    conversation = channel or user
    if action_id == FORM_SUBMIT:
        form_value = value.get("v")
        event: Event = FormSubmitted(
            tenant=tenant, actor=user, conversation=conversation, event_id=event_id,
            message=message, form_id=str(value.get("f") or ""),
            fields=fields_from_state(_get(body, "state", "values") or {}),
            value=form_value if isinstance(form_value, dict) else {})
        return event, origin
    if action_id == OPEN_FORM:
        text = str(value.get("text") or "")
        origin = Origin("command", team, user, channel=channel, trigger_id=trigger, text=text,
                        response_url=origin.response_url)
        return CommandInvoked(tenant=tenant, actor=user, conversation=conversation,
                              event_id=event_id, text=text), origin
    return ActionInvoked(tenant=tenant, actor=user, conversation=conversation, event_id=event_id,
                         message=message, action_id=action_id, value=value), origin


def view_event(body: dict[str, Any]) -> tuple[FormSubmitted, Origin]:
    """A modal submitted (`view_submission`): callback id = form id, private metadata = the
    form's hidden value plus the channel/card it was opened from."""
    team = _interaction_team(body)
    user = _need(_get(body, "user", "id"), "user.id")
    view = body.get("view")
    if not isinstance(view, dict):
        raise Malformed("view_submission without view")
    meta = decode_metadata(view.get("private_metadata"))
    trigger = body.get("trigger_id") or ""
    event_id = trigger or f"{user}:{view.get('id', '')}:{view.get('hash', '')}"
    event = FormSubmitted(
        tenant=Tenant(PLATFORM, team, locale=LOCALE), actor=user, conversation=meta["channel"] or user,
        event_id=event_id, message=meta["message"],
        form_id=_need(view.get("callback_id"), "view.callback_id"),
        fields=fields_from_state(_get(view, "state", "values") or {}), value=meta["value"])
    return event, Origin("view", team, user, channel=meta["channel"], message=meta["message"],
                         trigger_id=trigger, response_url=meta["response_url"], view=view)
