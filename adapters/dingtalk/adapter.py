"""The DingTalk adapter: Stream frames or HTTP outgoing posts into one `process`, `deliver` out.

Exactly once: DingTalk pushes a slowly acked frame again (~60 s, once seen at 16 s) and the SDK
runs the handler again. The core de-duplicates on `msg:<msgId>` / `card:<frame messageId>` in
`processed_event` and commits before we answer, so the ack follows the commit and a second push
has no second effect. `Unavailable` (database down) raises through the SDK handler: no ack, the
frame comes again; over HTTP it is a 503.

Answers: a click is answered in the callback response (`cardData` for everyone, the clicker's own
line in `userPrivateData`), so the clicker sees the new state at once. A typed command's answer
goes to where it was typed right after the ack (the message's `sessionWebhook`, no token needed;
a card through `createAndDeliver`); if DingTalk does not take it, the outbox sends it later.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import Any, Callable

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from adapters.background import Background
from adapters.base import CoreApi, Deferred, DeliveryError, DeliveryResult, Outbound
from adapters.dingtalk import inbound, render, signature
from adapters.dingtalk.api import OTO_BATCH, DingTalkApi, DingTalkApiError
from adapters.dingtalk.deliver import batch_key as deliver_batch_key
from adapters.dingtalk.deliver import deliver as deliver_outbound
from adapters.dingtalk.deliver import deliver_batch as deliver_many
from adapters.dingtalk.quota_watch import QuotaWatch
from adapters.dingtalk.settings import DingTalkSettings
from adapters.dingtalk.stream import CARD_TOPIC, MESSAGE_TOPIC
from adapters.http import BodyError, loads_object, read_body
from adapters.i18n import translator
from adapters.inline import InlineAnswer, inline_answer
from storage.db import Database
from workflows.clock import Clock
from workflows.errors import Unavailable
from workflows.events import Reply, Tenant

log = logging.getLogger(__name__)
EVENTS_PATH = "/dingtalk/events"
OK, BAD_REQUEST = 200, 400  # dingtalk_stream.AckMessage.STATUS_OK / STATUS_BAD_REQUEST


class DingTalkAdapter:
    platform = "dingtalk"
    rate_per_second = 20.0  # standard edition: 20 QPS per app per API
    rate_per_chat = 5.0
    batch_limit = OTO_BATCH  # 1:1 messages with the same content: 20 people a call

    def __init__(self, *, settings: DingTalkSettings, core: CoreApi, api: DingTalkApi | None = None,
                 wall_clock: Callable[[], float] = time.time, db: Database | None = None,
                 clock: Clock | None = None) -> None:
        self.settings = settings
        self.core = core
        self.api = api or DingTalkApi(settings=settings)
        if clock is not None:  # the month is the workflow clock's (a demo's virtual month)
            self.api.quota.now = clock.now
        # the month's calls shared through the database, and the admins' warnings
        self.quota_watch = QuotaWatch(quota=self.api.quota, db=db, now=clock.now if clock else
                                      self.api.quota.now) if db is not None else None
        self.t = translator("dingtalk", settings.locale)
        self._wall_clock = wall_clock  # the signature window is transport time
        self._background = Background()
        self._flush_now = asyncio.Event()  # drain / stop: count the calls now, not in a while
        self._hooks = httpx.AsyncClient(timeout=settings.request_timeout_seconds)
        self.connection: Any = None  # stream.StreamConnection in Stream mode

    # --- lifecycle ----------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        if self.settings.mode != "http":
            return []
        return [Route(EVENTS_PATH, self.http_endpoint, methods=["POST"])]

    async def start(self) -> None:
        if self.settings.mode == "stream":
            from adapters.dingtalk.stream import StreamConnection  # the SDK loads on its thread

            self.connection = StreamConnection(settings=self.settings, process=self.process,
                                               loop=asyncio.get_running_loop())
            self.connection.start()

    async def stop(self) -> None:
        if self.connection is not None:
            await self.connection.stop()
            self.connection = None
        await self.drain()
        if self.quota_watch is not None:
            await self.quota_watch.flush()
        await self._hooks.aclose()
        await self.api.aclose()

    async def drain(self) -> None:
        self._flush_now.set()
        try:
            await self._background.drain()
        finally:
            self._flush_now.clear()

    def register_metrics(self, registry: Any) -> None:
        """The month's OpenAPI calls against the standard edition's quota, in `/metrics`."""
        from prometheus_client import Gauge

        quota = self.api.quota
        Gauge("collab_dingtalk_api_calls_month", "DingTalk OpenAPI calls this month (all replicas, as of the last count)",
              registry=registry).set_function(lambda: quota.used)
        Gauge("collab_dingtalk_quota_remaining", "DingTalk OpenAPI calls left this month (-1: no quota)",
              registry=registry).set_function(lambda: quota.remaining)
        Gauge("collab_dingtalk_quota_spent", "1 when DingTalk said the monthly quota is spent",
              registry=registry).set_function(lambda: 1 if quota.spent else 0)

    # --- inbound (both transports) --------------------------------------------------------------

    async def process(self, topic: str, frame_id: str, data: Any) -> tuple[int, Any]:
        """One frame's payload → (ack status, ack response). Raises `Unavailable`: no ack."""
        if isinstance(data, str):
            data = json.loads(data)
        try:
            if topic == CARD_TOPIC:
                return OK, await self._click(data, frame_id)
            if topic == MESSAGE_TOPIC:
                await self._message(data)
                return OK, None
        except inbound.MalformedPayload as exc:  # a redelivery would be just as malformed
            log.warning("DingTalk: malformed %s frame dropped: %s", topic, exc)
            return BAD_REQUEST, None
        log.info("DingTalk: frame on topic %s ignored", topic)
        return OK, None

    async def _message(self, data: Any) -> Reply | None:
        parsed = inbound.message(data, locale=self.settings.locale)
        if isinstance(parsed, inbound.Ignored):
            return None
        event = parsed.event
        reply = await self.core.handle(event)  # Unavailable → no ack / 503
        answer = inline_answer(reply, clicked=False)
        if not answer.duplicate and not answer.empty:
            self._background.spawn(self._answer(event.tenant, event.conversation, event.actor,
                                                parsed.session_webhook, answer))
        return reply

    async def _click(self, data: Any, frame_id: str) -> dict[str, Any] | None:
        parsed = inbound.card_click(data, frame_id=frame_id, locale=self.settings.locale)
        if isinstance(parsed, inbound.Ignored):
            return None
        event = parsed.event
        try:
            reply = await self.core.handle(event)
        except Unavailable:
            raise
        except Exception:  # noqa: BLE001 — a bug must still answer the clicker
            log.exception("DingTalk: click %s failed", event.event_id)
            reply = Reply(ok=False, text=self.t("dingtalk.error.retry"))
        answer = inline_answer(reply, clicked=True)
        if answer.form is not None and not answer.duplicate:  # cards hold no inputs: guide by text
            form = InlineAnswer(form=answer.form)
            self._background.spawn(self._answer(event.tenant, event.actor, event.actor, "", form))
        return render.callback_response(answer, actor=event.actor, t=self.t)

    # --- the answer to a typed command ----------------------------------------------------------

    async def _answer(self, tenant: Tenant, conversation: str, actor: str, webhook: str,
                      answer: InlineAnswer) -> None:
        group = conversation != actor
        text = answer.text
        if answer.errors:
            text = "\n".join([text, *answer.errors.values()]).strip()
        if answer.form is not None:
            text = "\n\n".join(p for p in (text, render.form_text(answer.form, self.t)) if p)
        card = answer.private_card
        try:
            if text:
                await self._say(conversation if group else actor, text, webhook=webhook,
                                group=group, mention=actor if group else "")
            if card is not None:
                out = f"reply-{uuid.uuid4().hex}"
                space = f"IM_GROUP.{conversation}" if group else f"IM_ROBOT.{actor}"
                await self.api.create_and_deliver(out_track_id=out, space=space,
                                                  params=render.card_params(card, self.t))
            self._count_soon()
        except (DingTalkApiError, httpx.HTTPError) as exc:
            self._count_soon()
            if isinstance(exc, DingTalkApiError) and not exc.retryable:
                log.warning("DingTalk: answer refused: %s", exc)
                return
            log.warning("DingTalk: answer not sent now (%s); the outbox sends it", exc)
            later = Deferred(kind="post" if group else "dm", conversation=conversation if group else actor,
                             text=text, card=card)
            try:
                await self.core.defer(tenant=tenant, message=later)
            except Exception:  # noqa: BLE001 — the database is down as well
                log.exception("DingTalk: answer could not be queued")

    async def _say(self, to: str, text: str, *, webhook: str, group: bool, mention: str) -> None:
        if webhook:  # the message's own reply URL: no token, no quota
            body: dict[str, Any] = {"msgtype": "markdown",
                                    "markdown": {"title": text[:30], "text": text}}
            if mention:
                body["at"] = {"atUserIds": [mention]}
            response = await self._hooks.post(webhook, json=body)
            if response.status_code >= 500 or response.status_code == 429:
                raise DingTalkApiError(f"sessionWebhook HTTP {response.status_code}", retryable=True)
            if response.status_code < 300:
                return
        key, param = render.markdown_message(None, text, self.t)
        if group:
            await self.api.group_send(conversation=to, msg_key=key, msg_param=param)
        else:
            await self.api.oto_send(user_ids=[to], msg_key=key, msg_param=param)

    # --- HTTP outgoing mode --------------------------------------------------------------------

    async def http_endpoint(self, request: Request) -> JSONResponse:
        now_ms = int(self._wall_clock() * 1000)
        if not signature.valid(timestamp=request.headers.get("timestamp"),
                               given=request.headers.get("sign"),
                               secret=self.settings.client_secret, now_ms=now_ms):
            return self._refuse(401, "dingtalk.webhook.bad_signature")
        try:
            data = loads_object(await read_body(request))  # signed: now parse, depth-limited
            reply = await self._message(data)
        except BodyError as exc:
            key = "dingtalk.webhook.too_large" if exc.status == 413 else "dingtalk.webhook.malformed"
            return self._refuse(exc.status, key, reason=str(exc))
        except inbound.MalformedPayload as exc:
            return self._refuse(400, "dingtalk.webhook.malformed", reason=str(exc))
        except Unavailable as exc:
            log.warning("DingTalk: event not taken (%s); DingTalk will send it again", exc)
            return self._refuse(503, "dingtalk.webhook.unavailable")
        return JSONResponse({"msgtype": "empty"} if reply is None else {})

    def _refuse(self, status: int, key: str, **params: str) -> JSONResponse:
        return JSONResponse({"errmsg": self.t(key, **params)}, status_code=status)

    # --- outbound -------------------------------------------------------------------------------

    async def deliver(self, message: Outbound) -> DeliveryResult:
        try:
            return await deliver_outbound(message, api=self.api, settings=self.settings, t=self.t)
        finally:
            self._count_soon()

    def batch_key(self, message: Outbound) -> str | None:
        return deliver_batch_key(message, settings=self.settings, t=self.t)

    async def deliver_batch(self, messages: list[Outbound]) -> list[DeliveryResult | DeliveryError]:
        try:
            return await deliver_many(messages, api=self.api, t=self.t)
        finally:
            self._count_soon()

    def _count_soon(self) -> None:
        """Add the calls just made to the month's shared count, in the background: one flush
        at most every `DINGTALK_QUOTA_FLUSH_SECONDS`, carrying every call made meanwhile (a
        transaction per send was a seventh of a busy bot's CPU)."""
        watch = self.quota_watch
        if watch is None or watch.running or not (self.api.quota.unflushed or self.api.quota.spent):
            return

        async def flush() -> None:
            watch.running = True
            try:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.quota_flush_seconds):
                        await self._flush_now.wait()
                await watch.flush()
            finally:
                watch.running = False
        self._background.spawn(flush())
