"""DingTalk payloads → core events (pure).

- A robot message (Stream topic `/v1.0/im/bot/messages/get`, or the HTTP outgoing body): in a
  group only @-messages reach the bot (`conversationType` "2"), in 1:1 every message
  ("1"). The text after the @ is the command; a leading `/collab` or `/协作` is optional.
  De-duplicated on `msgId`: DingTalk pushes a slowly acked message again (~60 s).
- A card click (`/v1.0/card/instances/callback`, only for cards we sent with
  `callbackType: "STREAM"`): `outTrackId` is our card's id, `content.cardPrivateData.params`
  holds the button's `action` and `value` (render.py). De-duplicated on the frame's `messageId`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from adapters.dingtalk.codec import decode_params
from adapters.http import BodyError, loads
from workflows.events import ActionInvoked, CommandInvoked, Tenant

COMMAND_WORDS = ("/collab", "/协作")
GROUP, SINGLE = "2", "1"
MAX_MILLIS = 253402300799999


class MalformedPayload(ValueError):
    pass


@dataclass(frozen=True)
class Ignored:
    reason: str


@dataclass(frozen=True)
class Message:
    event: CommandInvoked
    session_webhook: str = ""


@dataclass(frozen=True)
class Click:
    event: ActionInvoked
    out_track_id: str


def _str(data: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = data.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or (required and not value):
        if required:
            raise MalformedPayload(f"{key} missing or not a string")
        return ""
    if "\x00" in value:
        raise MalformedPayload(f"{key} contains NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedPayload(f"{key} is not valid Unicode") from None
    return value


def _at(millis: Any) -> datetime | None:
    if isinstance(millis, bool) or not isinstance(millis, (int, str)):
        return None
    text = str(millis)
    if not text.isascii() or not text.isdigit():
        return None
    if len(text) > 15 or int(text) > MAX_MILLIS:
        raise MalformedPayload("timestamp out of range")
    return datetime.fromtimestamp(int(text) / 1000, tz=timezone.utc)


def command_text(content: str) -> str:
    text = content.strip()
    for word in COMMAND_WORDS:
        if text.startswith(word):
            return text[len(word):].strip()
    return text


def message(data: Any, *, locale: str) -> Message | Ignored:
    """A robot message's `data` (already a dict) → `CommandInvoked`."""
    if not isinstance(data, dict):
        raise MalformedPayload("message data is not an object")
    if data.get("msgtype") != "text":
        return Ignored(f"msgtype {data.get('msgtype')!r}")
    text_obj = data.get("text")
    if not isinstance(text_obj, dict):
        raise MalformedPayload("text missing")
    kind = _str(data, "conversationType")
    if kind == GROUP and data.get("isInAtList") is False:
        return Ignored("a group message not addressed to the bot")
    sender = _str(data, "senderStaffId")
    corp = _str(data, "chatbotCorpId", required=False) or _str(data, "senderCorpId")
    conversation = _str(data, "conversationId") if kind == GROUP else sender
    text = command_text(_str(text_obj, "content", required=False))
    if not text:
        return Ignored("empty message")
    event = CommandInvoked(tenant=Tenant("dingtalk", corp, locale=locale), actor=sender,
                           conversation=conversation, event_id=f"msg:{_str(data, 'msgId')}",
                           at=_at(data.get("createAt")), text=text)
    return Message(event=event, session_webhook=_str(data, "sessionWebhook", required=False))


def card_click(data: Any, *, frame_id: str, locale: str) -> Click | Ignored:
    """A card callback's `data` → `ActionInvoked` (`frame_id`: the frame's messageId)."""
    if not isinstance(data, dict):
        raise MalformedPayload("callback data is not an object")
    out_track_id = _str(data, "outTrackId")
    content = data.get("content")
    if isinstance(content, str):
        try:
            content = loads(content)
        except BodyError as exc:
            raise MalformedPayload(f"content: {exc}") from None
    if not isinstance(content, dict):
        raise MalformedPayload("content is not an object")
    private = content.get("cardPrivateData")
    params = private.get("params") if isinstance(private, dict) else None
    if not isinstance(params, dict) or not params.get("action"):
        return Ignored("a callback without our button params")
    _str(params, "action")  # text, no NUL, valid Unicode
    try:
        action, value = decode_params(params)
    except ValueError:
        raise MalformedPayload("button value is not JSON") from None
    if not isinstance(value, dict):
        raise MalformedPayload("button value is not an object")
    actor = _str(data, "userId")
    space = _str(data, "spaceId", required=False)
    group = str(data.get("spaceType") or "").upper() == "IM_GROUP"
    event_id = f"card:{frame_id}" if frame_id else f"card:{out_track_id}:{actor}:{action}"
    event = ActionInvoked(tenant=Tenant("dingtalk", _str(data, "corpId"), locale=locale), actor=actor,
                          conversation=space if group and space else actor, event_id=event_id,
                          message=out_track_id, action_id=action, value=value)
    return Click(event=event, out_track_id=out_track_id)
