"""Outbox rows → Slack Web API (`deliver`), and Slack's failures → `DeliveryError`.

The delivery worker owns retries and pacing (DESIGN rule 5), so this client retries nothing
itself: a 429 becomes `DeliveryError(retryable, retry_after=Retry-After)`, a 5xx or a timeout a
retryable error, and an `ok:false` like `channel_not_found` a permanent one.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.base import DeliveryError, DeliveryResult, Outbound
from workflows.cards import Card
from workflows.i18n import Translate

from adapters.slack.blocks import MAX_TEXT, clip, escape, section
from adapters.slack.render import MAX_BLOCKS, render_card, render_text

log = logging.getLogger(__name__)

# `ok:false` errors that are Slack's trouble, not ours: worth another try later.
RETRYABLE_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                    "request_timeout", "team_added_to_org"}
URGENT = ":rotating_light: "  # R14 escalation pings: Slack has no buzz/DING, a marked DM is it


def message_body(payload: dict[str, Any], t: Translate, *, ping: str = "",
                 urgent: bool = False) -> dict[str, Any]:
    """An outbox payload (`card` dict and/or `text`) → chat.postMessage/update arguments.
    `ping` (a user id) is mentioned first, so a direct message names whom it is for; the
    fallback text keeps the card's mentions, since notifications are built from it."""
    card = payload.get("card")
    if card:
        card = Card.from_dict(card) if isinstance(card, dict) else card
        body = render_card(card, t)
        if payload.get("text"):
            mentions = " ".join(f"<@{m.user}>" for m in card.mentions)
            body["text"] = clip("\n".join(p for p in (escape(str(payload["text"])), mentions) if p),
                                MAX_TEXT)
    else:
        body = render_text(str(payload.get("text") or " "))
    if ping:
        lead = f"{URGENT if urgent else ''}<@{ping}>"
        body["text"] = clip(f"{lead} {body['text']}", MAX_TEXT)
        if "blocks" in body:
            body["blocks"] = [section(lead), *body["blocks"]][:MAX_BLOCKS]
    return body


def split_message_id(platform_message_id: str, conversation: str) -> tuple[str, str]:
    """Our message ids are `ts` for channel posts and `channel:ts` where the channel differs
    from the outbox conversation (a DM's D… channel for a person's U… id)."""
    if ":" in platform_message_id:
        channel, ts = platform_message_id.split(":", 1)
        return channel, ts
    return conversation, platform_message_id


def _retry_after(headers: Any) -> float:
    raw = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after") or "1"
    try:
        return max(float(raw), 0.0)
    except (TypeError, ValueError):
        return 1.0


def to_delivery_error(exc: Exception) -> DeliveryError:
    """429 → retry after Retry-After; 5xx, timeouts, Slack-side errors → retry; the rest
    (channel_not_found, not_in_channel, invalid_blocks, a bug) → give up on this row."""
    if isinstance(exc, SlackApiError):
        status = int(getattr(exc.response, "status_code", 200) or 200)
        data = getattr(exc.response, "data", None)
        error = str(data.get("error") or "") if isinstance(data, dict) else ""
        error = error or f"http_{status}"
        if status == 429 or error == "ratelimited":
            seconds = _retry_after(getattr(exc.response, "headers", None))
            return DeliveryError(f"slack: ratelimited, retry after {seconds:g}s", retryable=True,
                                 retry_after=seconds)
        return DeliveryError(f"slack: {error}", retryable=status >= 500 or error in RETRYABLE_ERRORS)
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError)):
        return DeliveryError(f"slack: {type(exc).__name__}: {exc}", retryable=True)
    return DeliveryError(f"slack: {type(exc).__name__}: {exc}", retryable=False)


class Sender:
    """One send per outbox row; DM channels are cached (conversations.open is idempotent)."""

    def __init__(self, client: AsyncWebClient, t: Translate) -> None:
        self._client = client
        self._t = t
        self._dm: dict[str, str] = {}  # user id → D… channel

    async def deliver(self, message: Outbound) -> DeliveryResult:
        try:
            return await self._deliver(message)
        except DeliveryError:
            raise
        except Exception as exc:  # noqa: BLE001 — every failure becomes a DeliveryError
            error = to_delivery_error(exc)
            log.warning("slack: deliver %s (%s) failed: %s", message.id, message.kind, error)
            raise error from exc

    async def _deliver(self, message: Outbound) -> DeliveryResult:
        if message.kind == "post":
            body = message_body(message.payload, self._t)
            response = await self._client.chat_postMessage(channel=message.conversation, **body)
            return DeliveryResult(platform_message_id=str(response["ts"]))
        if message.kind == "update":
            if not message.platform_message_id:
                raise DeliveryError("slack: update without a message id", retryable=False)
            channel, ts = split_message_id(message.platform_message_id, message.conversation)
            body = message_body(message.payload, self._t)
            await self._client.chat_update(channel=channel, ts=ts, **body)
            return DeliveryResult(platform_message_id=message.platform_message_id)
        if message.kind in ("dm", "urgent"):
            channel = await self._open(message.conversation)
            body = message_body(message.payload, self._t, ping=message.conversation,
                                urgent=message.kind == "urgent")
            response = await self._client.chat_postMessage(channel=channel, **body)
            return DeliveryResult(platform_message_id=f"{channel}:{response['ts']}")
        raise DeliveryError(f"slack: unknown outbox kind {message.kind!r}", retryable=False)

    async def _open(self, user: str) -> str:
        if user not in self._dm:
            response = await self._client.conversations_open(users=user)
            self._dm[user] = str((response.get("channel") or {}).get("id") or user)
        return self._dm[user]
