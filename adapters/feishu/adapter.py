"""The Feishu/Lark adapter: both transports into one `process()`, and `deliver()` out.

HTTP (`POST /feishu/events`, events and card callbacks alike) and the long connection hand the
decrypted payload to `process()`, which translates it (inbound.py), gives the event to the core
and answers: `{"challenge": …}`, a card callback's toast plus updated card, or `{}`. The core
commits before we answer, so an acknowledged event is never lost; Feishu's re-pushes carry the
same `header.event_id`, which the core de-duplicates (DESIGN rule 3).

A typed command has no inline answer on Feishu, so the core's `Reply` is sent as a reply to the
user's message after the ack — off the 3-second path, and never for a re-pushed event.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from adapters.background import Background
from adapters.base import CoreApi, Deferred, DeliveryResult, Outbound, kind_of
from adapters.feishu import inbound, render
from adapters.feishu.api import FeishuApi, FeishuApiError
from adapters.feishu.deliver import deliver as deliver_outbound
from adapters.feishu.settings import FeishuSettings
from adapters.feishu.webhook import Rejected, open_request
from adapters.http import BodyError, read_body
from adapters.inline import inline_answer
from workflows.errors import Unavailable
from workflows.events import CommandInvoked, Tenant
from adapters.i18n import translator

log = logging.getLogger(__name__)

EVENTS_PATH = "/feishu/events"
REPLY_ATTEMPTS = 3
REPLY_MAX_WAIT = 5.0  # seconds; longer rate-limit hints are not worth holding a reply for


class FeishuAdapter:
    platform = "feishu"
    rate_per_second = 50.0  # Feishu: 50 requests/s (1000/min) per app for sending messages
    rate_per_chat = 5.0  # … and 5 QPS per chat, shared by all bots in it

    def __init__(self, *, settings: FeishuSettings, core: CoreApi, api: FeishuApi | None = None,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.core = core  # the core (or its instrumented facade)
        self.api = api or FeishuApi(settings=settings)
        self._wall_clock = wall_clock  # transport time (replay window), not the core's clock
        self._t = translator("feishu", settings.locale)
        self.bot_open_id: str | None = None
        self._background = Background()
        self._connection: Any = None  # ws.LongConnection when FEISHU_MODE=ws

    # --- lifecycle ----------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [Route(EVENTS_PATH, self.http_endpoint, methods=["POST"])]

    async def start(self) -> None:
        self._spawn(self._learn_bot_id())
        if self.settings.mode == "ws":
            from adapters.feishu.ws import LongConnection  # lark-oapi is imported in its thread

            self._connection = LongConnection(settings=self.settings, process=self._process_frame,
                                              loop=asyncio.get_running_loop())
            self._connection.start()

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.stop()
            self._connection = None
        await self.drain()
        await self.api.aclose()

    async def drain(self) -> None:
        """Wait for the replies still being sent (tests; graceful shutdown)."""
        await self._background.drain()

    def _spawn(self, coro: Awaitable[Any]) -> None:
        self._background.spawn(coro)

    async def _learn_bot_id(self) -> None:
        try:
            self.bot_open_id = await self.api.bot_open_id() or None
        except FeishuApiError as exc:
            log.warning("Feishu bot info unavailable (%s): a group message must open with @bot", exc)

    # --- inbound ------------------------------------------------------------------------------

    async def http_endpoint(self, request: Request) -> JSONResponse:
        try:
            body = await read_body(request)
        except BodyError as exc:
            return self._rejection(Rejected(exc.status, "feishu.webhook.too_large"
                                            if exc.status == 413 else "feishu.webhook.malformed",
                                            reason=str(exc)))
        try:
            payload = open_request(body=body, headers=request.headers, settings=self.settings,
                                   now=self._wall_clock())
            return JSONResponse(await self.process(payload))
        except Rejected as rejected:
            return self._rejection(rejected)
        except inbound.MalformedPayload as exc:
            return self._rejection(Rejected(400, "feishu.webhook.malformed", reason=str(exc)))
        except Unavailable as exc:
            log.warning("Feishu event not taken (%s); Feishu will push it again", exc)
            return JSONResponse({"msg": self._t("feishu.webhook.unavailable")}, status_code=503)
        except Exception:
            log.exception("Feishu event failed; Feishu will push it again")
            return JSONResponse({"msg": self._t("feishu.webhook.unavailable")}, status_code=503)

    def _rejection(self, rejected: Rejected) -> JSONResponse:
        return JSONResponse({"msg": self._t(rejected.key, **rejected.params)},
                            status_code=rejected.status)

    async def process(self, payload: dict[str, Any]) -> dict[str, Any]:
        """One decrypted payload from either transport → the body Feishu gets back."""
        parsed = inbound.parse(payload, bot_open_id=self.bot_open_id)
        if isinstance(parsed, inbound.UrlVerification):
            return {"challenge": parsed.challenge}
        if isinstance(parsed, inbound.Ignored):
            log.debug("Feishu payload ignored: %s", parsed.reason)
            return {}
        if isinstance(parsed.event, CommandInvoked):
            reply = await self.core.handle(parsed.event)  # raises → 503 / SDK 500 → pushed again
            answer = inline_answer(reply, clicked=False)
            messages = render.reply_messages(answer, locale=self.settings.locale)
            if messages:
                later = Deferred(kind="post", conversation=parsed.event.conversation,
                                 text=answer.text, card=answer.private_card or answer.form)
                self._spawn(self._reply(parsed.message_id, parsed.event.event_id, messages,
                                        fallback=later, tenant=parsed.event.tenant))
            return {}
        return await self._card_action(parsed)

    async def _process_frame(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The long connection's `process`: a malformed frame is acknowledged and dropped (a
        redelivery would be just as malformed); a core failure raises, so it comes again."""
        try:
            return await self.process(payload)
        except inbound.MalformedPayload as exc:
            log.warning("malformed Feishu frame dropped: %s", exc)
            return {}

    async def _card_action(self, parsed: inbound.Inbound) -> dict[str, Any]:
        try:
            reply = await self.core.handle(parsed.event)
        except Unavailable:
            raise  # HTTP 503 / SDK error: no toast saying it worked, Feishu may try again
        except Exception:
            log.exception("Feishu card action failed")
            return {"toast": {"type": "error", "content": self._t("feishu.toast.failed")}}
        answer = inline_answer(reply, clicked=True)
        if answer.form is not None and not answer.duplicate and parsed.message_id:
            form = render.card_content(answer.form, locale=self.settings.locale)
            self._spawn(self._reply(parsed.message_id, parsed.event.event_id,
                                    [("interactive", form)], tenant=parsed.event.tenant,
                                    fallback=Deferred(kind="dm", conversation=parsed.event.actor,
                                                      card=answer.form)))
        return render.callback_response(answer, locale=self.settings.locale,
                                        form_sent=answer.form is not None)

    async def _reply(self, message_id: str, event_id: str, messages: list[tuple[str, str]], *,
                     tenant: Tenant, fallback: Deferred) -> None:
        """Answer in the thread; a rate limit or a 5xx gets a few short retries (same `uuid`,
        so never twice). If Feishu still does not take it, the answer goes to the outbox
        (issue 14: 261 of 263 replies were lost in an outage)."""
        if not await self._send_replies(message_id, event_id, messages):
            try:
                await self.core.defer(tenant=tenant, message=fallback)
            except Exception:  # noqa: BLE001 — the database is down as well: logged
                log.exception("Feishu reply to %s could not be queued", message_id)

    async def _send_replies(self, message_id: str, event_id: str,
                            messages: list[tuple[str, str]]) -> bool:
        """False when Feishu did not take an answer for a passing reason (outage, 5xx, 429)."""
        for index, (msg_type, content) in enumerate(messages):
            for attempt in range(REPLY_ATTEMPTS):
                try:
                    await self.api.reply(message_id=message_id, msg_type=msg_type, content=content,
                                         uuid=f"r{index}-{event_id}")
                    break
                except FeishuApiError as exc:
                    if not exc.retryable:  # refused for good (chat gone…): later won't help
                        log.warning("Feishu reply to %s not sent (refused): %s", message_id, exc)
                        return True
                    if attempt + 1 == REPLY_ATTEMPTS:
                        log.warning("Feishu reply to %s not sent: %s", message_id, exc)
                        return False
                    await asyncio.sleep(min(REPLY_MAX_WAIT, exc.retry_after or 1.0))
                except Exception as exc:
                    log.warning("Feishu reply to %s not sent: %s", message_id, exc)
                    return False
        return True

    # --- outbound -----------------------------------------------------------------------------

    async def deliver(self, message: Outbound) -> DeliveryResult:
        kind_of(message)
        return await deliver_outbound(message, api=self.api, settings=self.settings)
