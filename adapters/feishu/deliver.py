"""One outbox row → Feishu Open API calls (the delivery worker calls `deliver`).

- `post`: an interactive card (or text) into a chat, `uuid` = the row's idempotency key, so a
  retry after a lost response never posts twice;
- `update`: PATCH the card the row's `platform_message_id` points at (cards are sent with
  `update_multi`, so everyone sees the new state);
- `dm`: the same, to a person's open_id;
- `urgent`: R14 escalation — a DM, then a buzz (加急) on it: `urgent_app`, or for the VP step
  `urgent_sms` / `urgent_phone` when `FEISHU_VP_URGENT` says so (falling back to the in-app buzz
  if the paid channel is refused, so the VP is still reached).
"""
from __future__ import annotations

import logging

from adapters.base import DeliveryError, DeliveryResult, Outbound
from adapters.feishu.api import FeishuApi, FeishuApiError
from adapters.feishu.render import card_content, text_content
from adapters.feishu.settings import FeishuSettings
from workflows.cards import Card

log = logging.getLogger(__name__)


def message_body(payload: dict, *, locale: str) -> tuple[str, str]:
    """(msg_type, content) of an outbox payload: its card, else its fallback text."""
    if payload.get("card"):
        return "interactive", card_content(Card.from_dict(payload["card"]), locale=locale)
    text = payload.get("text")
    if isinstance(text, str) and text:
        return "text", text_content(text)
    raise DeliveryError("outbox payload has neither card nor text", retryable=False)


def urgent_kind(payload: dict, settings: FeishuSettings) -> str:
    """R14: the department-head step buzzes in the app; the VP step as configured."""
    return settings.vp_urgent if payload.get("escalation") == "vp" else "app"


async def deliver(message: Outbound, *, api: FeishuApi, settings: FeishuSettings) -> DeliveryResult:
    msg_type, content = message_body(message.payload, locale=settings.locale)
    if message.kind == "update":
        if not message.platform_message_id or msg_type != "interactive":
            raise DeliveryError("update needs a card and the message it replaces", retryable=False)
        await api.patch(message_id=message.platform_message_id, content=content)
        return DeliveryResult(platform_message_id=message.platform_message_id)
    if message.kind not in ("post", "dm", "urgent"):
        raise DeliveryError(f"unknown outbox kind {message.kind!r}", retryable=False)
    message_id = await api.send(
        receive_id_type="chat_id" if message.kind == "post" else "open_id",
        receive_id=message.conversation, msg_type=msg_type, content=content,
        uuid=message.idempotency_key)
    if message.kind == "urgent":
        await _buzz(api, message_id, message.conversation, urgent_kind(message.payload, settings))
    return DeliveryResult(platform_message_id=message_id)


async def _buzz(api: FeishuApi, message_id: str, open_id: str, kind: str) -> None:
    try:
        invalid = await api.urgent(message_id=message_id, kind=kind, open_ids=[open_id])
    except FeishuApiError as exc:
        if exc.retryable or kind == "app":
            raise
        log.warning("urgent_%s refused (%s); buzzing in the app instead", kind, exc)
        invalid = await api.urgent(message_id=message_id, kind="app", open_ids=[open_id])
    if invalid:
        raise DeliveryError(f"Feishu could not buzz {invalid}", retryable=False)
