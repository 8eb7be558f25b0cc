"""Feishu payload → core event, pure (tested on recorded payloads).

Handles the decrypted body of either transport (HTTP callback or long connection):
`url_verification`, `im.message.receive_v1` (group chats where the bot is @-mentioned, and 1:1
chats) and `card.action.trigger` (button clicks and form submissions). Everything else is
`Ignored`; a body that claims to be one of these but lacks required fields is `MalformedPayload`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from adapters.feishu.codec import ACTION_KEY, FORM_KEY, VALUE_KEY
from workflows.events import ActionInvoked, CommandInvoked, Event, FormSubmitted, Tenant

PLATFORM = "feishu"
_COMMAND_WORD = re.compile(r"^\s*/(协作|collab)(?=\s|$)", re.IGNORECASE)
_PICKED_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?: [+-]\d{4})?$")  # date_picker: "2026-07-20 +0800"


class MalformedPayload(ValueError):
    """A Feishu envelope with missing or mistyped fields (answered with 400)."""


@dataclass(frozen=True)
class UrlVerification:
    challenge: str
    token: str


@dataclass(frozen=True)
class Ignored:
    reason: str


@dataclass(frozen=True)
class Inbound:
    """A core event plus where an answer goes: the message to reply to (commands) or the card
    that was clicked; `chat_type` is p2p / group for messages, empty for card callbacks."""

    event: Event
    message_id: str
    chat_type: str = ""


Parsed = UrlVerification | Ignored | Inbound


def _get(obj: Any, *path: str, kind: type = str, required: bool = True) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            raise MalformedPayload(f"{'.'.join(path)} missing")
        obj = obj.get(key)
    if obj is None and not required:
        return kind()
    if not isinstance(obj, kind) or (required and kind is str and not obj):
        raise MalformedPayload(f"{'.'.join(path)} missing or not {kind.__name__}")
    return obj


MAX_MILLIS = 253402300799999  # 9999-12-31T23:59:59.999Z: later than any real event


def _at(millis: str) -> datetime | None:
    """Feishu's `create_time` (ms); absurd values (30 digits) are malformed, not a crash."""
    if not millis.isascii() or not millis.isdigit():
        return None
    if len(millis) > 15 or int(millis) > MAX_MILLIS:
        raise MalformedPayload("header.create_time out of range")
    return datetime.fromtimestamp(int(millis) / 1000, tz=timezone.utc)


def parse(payload: dict[str, Any], *, bot_open_id: str | None = None) -> Parsed:
    if not isinstance(payload, dict):
        raise MalformedPayload("payload is not an object")
    if payload.get("type") == "url_verification":
        return UrlVerification(_get(payload, "challenge"), str(payload.get("token") or ""))
    if payload.get("schema") != "2.0":
        return Ignored("not a v2 event")  # v1 events and legacy card callbacks are not subscribed
    event_type = _get(payload, "header", "event_type")
    if event_type == "im.message.receive_v1":
        return _message(payload, bot_open_id)
    if event_type == "card.action.trigger":
        return _card_action(payload)
    return Ignored(f"event type {event_type} not handled")


def header_token(payload: dict[str, Any]) -> str:
    """The verification token a payload carries (v2 in `header`, url_verification at the top)."""
    header = payload.get("header")
    token = header.get("token") if isinstance(header, dict) else payload.get("token")
    return token if isinstance(token, str) else ""


# --- messages -----------------------------------------------------------------------------

def _message(payload: dict[str, Any], bot_open_id: str | None) -> Parsed:
    event = _get(payload, "event", kind=dict)
    message = _get(event, "message", kind=dict)
    if _get(event, "sender", "sender_type", required=False) != "user":
        return Ignored("not sent by a person")  # our own bot's messages, other bots
    chat_type = _get(message, "chat_type")
    mentions = [m for m in _get(message, "mentions", kind=list, required=False) if isinstance(m, dict)]
    text = message_text(_get(message, "message_type"), _get(message, "content"))
    if text is None:
        return Ignored("not a text message")
    bot_keys = _bot_keys(text, mentions, bot_open_id)
    if chat_type != "p2p" and not bot_keys:
        return Ignored("bot not mentioned in a group chat")
    command = strip_mentions(text, mentions, bot_keys)
    return Inbound(
        CommandInvoked(
            tenant=Tenant(PLATFORM, _get(payload, "header", "tenant_key")),
            actor=_get(event, "sender", "sender_id", "open_id"),
            conversation=_get(message, "chat_id"),
            event_id=_get(payload, "header", "event_id"),
            at=_at(str(_get(payload, "header", "create_time", required=False))),
            text=command,
        ),
        message_id=_get(message, "message_id"),
        chat_type=chat_type,
    )


def message_text(message_type: str, content: str) -> str | None:
    """The plain text of a `text` or `post` (rich text) message; mentions stay as `@_user_N` keys."""
    try:
        body = json.loads(content)
    except json.JSONDecodeError as exc:
        raise MalformedPayload("message.content is not JSON") from exc
    if not isinstance(body, dict):
        raise MalformedPayload("message.content is not an object")
    if message_type == "text":
        text = body.get("text")
        return text if isinstance(text, str) else None
    if message_type == "post":
        post = body if "content" in body else next((v for v in body.values() if isinstance(v, dict)), {})
        lines = []
        for paragraph in post.get("content") or []:
            parts = []
            for node in paragraph if isinstance(paragraph, list) else []:
                if isinstance(node, dict) and node.get("tag") in ("text", "a"):
                    parts.append(str(node.get("text", "")))
                elif isinstance(node, dict) and node.get("tag") == "at":
                    parts.append(str(node.get("user_id", "")))
            lines.append("".join(parts))
        return "\n".join(lines)
    return None


def _bot_keys(text: str, mentions: list[dict[str, Any]], bot_open_id: str | None) -> set[str]:
    if bot_open_id:
        return {m.get("key", "") for m in mentions
                if isinstance(m.get("id"), dict) and m["id"].get("open_id") == bot_open_id} - {""}
    # Bot id unknown (bot info not fetched): a message that opens with a mention addresses us —
    # with the im:message.group_at_msg scope Feishu only delivers messages that @ the bot anyway.
    stripped = text.lstrip()
    return {m["key"] for m in mentions if m.get("key") and stripped.startswith(m["key"])}


def strip_mentions(text: str, mentions: list[dict[str, Any]], bot_keys: set[str]) -> str:
    """Drop the @bot mention (and `/协作`, `/collab`), keep other people as `@name`."""
    for mention in sorted(mentions, key=lambda m: -len(m.get("key", ""))):  # @_user_10 before @_user_1
        key = mention.get("key", "")
        if key:
            text = text.replace(key, "" if key in bot_keys else f"@{mention.get('name') or key}")
    text = text.replace("@_all", "")
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]  # keep line breaks:
    return _COMMAND_WORD.sub("", "\n".join(lines).strip()).strip()       # multi-line commands


# --- card callbacks -------------------------------------------------------------------------

def _card_action(payload: dict[str, Any]) -> Parsed:
    event = _get(payload, "event", kind=dict)
    action = _get(event, "action", kind=dict)
    value = action.get("value")
    if not isinstance(value, dict) or not (value.get(ACTION_KEY) or value.get(FORM_KEY)):
        return Ignored("card action without our action id")
    hidden = value.get(VALUE_KEY) if isinstance(value.get(VALUE_KEY), dict) else {}
    tenant_key = (_get(payload, "header", "tenant_key", required=False)
                  or _get(event, "operator", "tenant_key"))
    common = dict(
        tenant=Tenant(PLATFORM, tenant_key),
        actor=_get(event, "operator", "open_id"),
        conversation=_get(event, "context", "open_chat_id", required=False),
        event_id=_get(payload, "header", "event_id"),
        at=_at(str(_get(payload, "header", "create_time", required=False))),
        message=_get(event, "context", "open_message_id", required=False),
    )
    if value.get(FORM_KEY):
        form_value = _get(action, "form_value", kind=dict, required=False)
        core_event: Event = FormSubmitted(**common, form_id=str(value[FORM_KEY]),
                                          fields=form_fields(form_value), value=hidden)
    else:
        core_event = ActionInvoked(**common, action_id=str(value[ACTION_KEY]), value=hidden)
    return Inbound(core_event, message_id=common["message"])


def form_fields(form_value: dict[str, Any]) -> dict[str, Any]:
    """Feishu form values → the core's: dates as ISO strings (the picker appends the user's UTC
    offset), multi-selects as lists of strings, checkers as booleans, text as text."""
    fields: dict[str, Any] = {}
    for name, raw in form_value.items():
        if isinstance(raw, str):
            picked = _PICKED_DATE.match(raw.strip())
            fields[name] = picked.group(1) if picked else raw
        elif isinstance(raw, list):
            fields[name] = [str(item) for item in raw]
        else:
            fields[name] = raw
    return fields
