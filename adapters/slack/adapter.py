"""The Slack transport: slack-bolt's AsyncApp behind `POST /slack/events` (HTTP) or a Socket Mode
connection, both on the same listeners, plus `deliver()` for the outbox.

Every listener verifies (bolt; HTTP signatures here too, before bolt parses the body), translates
the payload (`inbound`), hands the event to the core — whose `processed_event` makes a Slack
retry harmless (DESIGN rule 3) — and acks with what `reply.plan` puts in the ack. The follow-up
calls (card update, private answer, modal) run right after the ack as a background task, so the
ack never waits for Slack's Web API. bolt runs with `process_before_response=True`: its default
mode polls for the ack every 10 ms, which would cost most of our latency budget.
"""
from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Callable

import aiohttp
from slack_bolt import BoltResponse
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.background import Background
from adapters.base import CoreApi, DeliveryResult, Outbound, kind_of
from adapters.http import MAX_BODY, BodyError, nesting, read_body
from workflows.errors import Unavailable
from workflows.events import Event, Reply, Tenant
from adapters.i18n import translator

from adapters.slack import inbound
from adapters.slack.people import Linker, People
from adapters.slack.reply import Call, plan
from adapters.slack.sender import Sender
from adapters.slack.settings import SlackSettings

log = logging.getLogger(__name__)

ANY = re.compile(".*")
MAX_DEPTH = 32  # JSON nesting of a Slack payload (real ones stay under 12)


class SlackAdapter:
    """`PlatformAdapter` for Slack (adapters/base.py)."""

    platform = "slack"
    # chat.postMessage: ~1 message/s per channel (short bursts allowed) and a workspace-wide
    # limit of several hundred per minute; chat.update and conversations.open are Tier 3 (50+/min).
    rate_per_second = 5.0
    rate_per_chat = 1.0

    def __init__(self, *, settings: SlackSettings, core: CoreApi, timeout: int = 10) -> None:
        self.settings = settings
        self.core = core
        self.t = translator("slack", settings.locale)
        # inline follow-ups answer a person now: one short 429 wait and one reconnect are worth it
        web_log = _sdk_logger("slack_sdk.web.async_base_client")
        self.client = AsyncWebClient(
            token=settings.bot_token, base_url=settings.api_url, timeout=timeout,
            retry_handlers=[AsyncConnectionErrorRetryHandler(),
                            AsyncRateLimitErrorRetryHandler(max_retry_count=1)], logger=web_log)
        # the outbox worker paces and retries itself: this client never retries on its own
        self.outbound_client = AsyncWebClient(token=settings.bot_token, base_url=settings.api_url,
                                              timeout=timeout, retry_handlers=[], logger=web_log)
        self._hook_log = _sdk_logger("slack_sdk.webhook.async_client")
        secret = settings.signing_secret
        # `endpoint` verifies every HTTP request's signature before bolt sees it (bolt would
        # only verify it again); Socket Mode needs none (the WebSocket is authenticated)
        self.app = AsyncApp(client=self.client, signing_secret=secret or None,
                            request_verification_enabled=False,
                            process_before_response=True, name="collab-bot")
        self.app.command(ANY)(self._on_command)
        self.app.event("app_mention")(self._on_mention)
        self.app.block_action(ANY)(self._on_action)
        self.app.view_submission(ANY)(self._on_view)
        self.http = AsyncSlackRequestHandler(self.app)
        self.verifier = SignatureVerifier(secret) if secret else None
        self.sender = Sender(self.outbound_client, self.t)
        self.people = People(self.client)
        self.linker = Linker(people=self.people, core=core)
        self.team = ""  # the workspace's team id (auth.test), known after start()
        self.socket: AsyncSocketModeHandler | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks = Background()

    # ---- lifecycle -----------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """`POST /slack/events` (commands, interactivity, Events API) — only with a signing
        secret: without one every request would verify against an empty key."""
        if not self.settings.signing_secret:
            return []
        return [Route("/slack/events", self.endpoint, methods=["POST"])]

    async def start(self) -> None:
        self._ensure_session()
        self._background(self.sync_identities())
        if self.settings.mode == "socket" and self.settings.app_token:
            self.socket = AsyncSocketModeHandler(self.app, app_token=self.settings.app_token,
                                                 web_client=self.client)
            await self.socket.connect_async()

    async def stop(self) -> None:
        if self.socket is not None:
            await self.socket.close_async()
            self.socket = None
        await self.drain()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def drain(self) -> None:
        """Wait for the follow-ups already started (tests, shutdown)."""
        await self._tasks.drain()

    async def sync_identities(self) -> int:
        """Link the org's people known only by email to their Slack users (R25 needs ids for
        DMs and mentions of people who never wrote to the bot). Returns how many were linked."""
        try:
            auth = await self.client.auth_test()
            self.team = str(auth.get("team_id") or "")
            linked = await self.linker.sync(Tenant(self.platform, self.team))
        except Exception:  # noqa: BLE001 — the bot works without it; lazy linking remains
            log.exception("slack: identity sync failed")
            return 0
        if linked:
            log.info("slack: linked %d people by email", linked)
        return linked

    def _background(self, work: Any) -> None:
        self._tasks.spawn(work)

    def _ensure_session(self) -> aiohttp.ClientSession:
        """One keep-alive session for every Web API call (the SDK opens one per call without)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self.client.session = self._session
            self.outbound_client.session = self._session
        return self._session

    # ---- HTTP ----------------------------------------------------------------------------

    async def endpoint(self, request: Request) -> Response:
        try:
            body = await read_body(request, limit=MAX_BODY)
        except BodyError as exc:
            return PlainTextResponse(str(exc), status_code=exc.status)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:  # Slack sends UTF-8 only; the SDK's verifier would crash
            return PlainTextResponse("malformed payload", status_code=400)
        # bolt parses the body before it verifies: check first, so garbage gets 401, not 500
        assert self.verifier is not None  # routes() serves nothing without a signing secret
        try:
            valid = self.verifier.is_valid(body, request.headers.get("x-slack-request-timestamp"),
                                           request.headers.get("x-slack-signature"))
        except ValueError:  # a timestamp that is not a number
            valid = False
        if not valid:
            return PlainTextResponse("invalid signature", status_code=401)
        if not body.strip() or _too_deep(body):
            return PlainTextResponse("malformed payload", status_code=400)
        self._ensure_session()
        try:
            response = await self.http.handle(request)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:  # unparsable body
            log.warning("slack: malformed request: %s", exc)
            return PlainTextResponse("malformed payload", status_code=400)
        if response.status_code == 503:  # the core's database is down: Slack retries
            return response
        if response.status_code >= 500 or response.status_code == 404:
            # Our listeners never raise, so a bolt 500 is bolt choking on the payload's shape
            # (e.g. `actions: []`), and 404 a signed body no listener matches: both malformed.
            return PlainTextResponse("malformed payload", status_code=400)
        return response

    # ---- listeners (HTTP and Socket Mode alike) ----------------------------------------

    async def _on_command(self, ack: Any, body: dict[str, Any]) -> BoltResponse | None:
        return await self._interaction(ack, inbound.command_event, body)

    async def _on_mention(self, ack: Any, body: dict[str, Any]) -> BoltResponse | None:
        return await self._interaction(ack, inbound.mention_event, body)

    async def _on_action(self, ack: Any, body: dict[str, Any]) -> BoltResponse | None:
        return await self._interaction(ack, inbound.action_event, body)

    async def _on_view(self, ack: Any, body: dict[str, Any]) -> BoltResponse | None:
        return await self._interaction(ack, inbound.view_event, body)

    async def _interaction(self, ack: Any, translate: Callable[[dict[str, Any]], Any],
                           body: dict[str, Any]) -> BoltResponse | None:
        try:
            event, origin = translate(body)
        except inbound.Malformed as exc:
            log.warning("slack: %s", exc)
            return BoltResponse(status=400, body=str(exc))
        self._ensure_session()
        try:
            reply = await self.handle(event)
            steps = plan(origin, reply, self.t, command=self.settings.command)
        except Unavailable as exc:
            # nothing committed: no ack (Socket Mode) / 503 (HTTP), so Slack delivers it again
            log.warning("slack: %s unanswered so Slack retries: %s", event.event_id, exc)
            return BoltResponse(status=503, body="temporarily unavailable")
        except Exception:  # noqa: BLE001 — a bug here must still answer Slack, politely
            log.exception("slack: answering %s failed", event.event_id)
            steps = plan(origin, Reply(text=self.t("slack.error.retry"), ok=False), self.t)
        await ack(steps.ack) if steps.ack is not None else await ack()
        if steps.calls:
            self._background(self._follow_up(steps.calls, event.tenant))
        return None

    async def handle(self, event: Event) -> Reply:
        """The core's answer. An actor the org does not know yet is linked by the email Slack
        holds for them, and the event handed in again (the core recorded nothing for it)."""
        reply = await self._core_handle(event)
        if reply.unknown_actor and await self.linker.link_actor(event.tenant, event.actor):
            reply = await self._core_handle(event)
        return reply

    async def _core_handle(self, event: Event) -> Reply:
        """A crash in the core becomes a polite private answer (never a 500: Slack would show
        the user a raw error, and nothing was committed anyway)."""
        try:
            return await self.core.handle(event)
        except Unavailable:
            raise
        except Exception:  # noqa: BLE001 — logged with the traceback, answered politely
            log.exception("slack: core failed on %s %s", type(event).__name__, event.event_id)
            return Reply(text=self.t("slack.error.retry"), ok=False)

    async def _follow_up(self, calls: list[Call], tenant: Tenant) -> None:
        for call in calls:
            if not await self._send(call) and call.fallback is not None:
                try:  # issue 14: the answer goes out later through the outbox, not never
                    await self.core.defer(tenant=tenant, message=call.fallback)
                except Exception:  # noqa: BLE001 — the database is down too: logged, lost
                    log.exception("slack: could not queue the failed %s", call.method)

    async def _send(self, call: Call) -> bool:
        """One follow-up; False when Slack did not take it (logged)."""
        try:
            if call.url:
                webhook = AsyncWebhookClient(call.url, session=self._ensure_session(),
                                             timeout=self.client.timeout, logger=self._hook_log)
                response = await webhook.send_dict(call.args)
                if response.status_code >= 400:
                    log.warning("slack: response_url answered %s: %s", response.status_code,
                                response.body)
                    return False
            else:
                await self.client.api_call(call.method, json=call.args)
            return True
        except (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("slack: follow-up %s failed: %s", call.method, exc)
        except Exception:  # noqa: BLE001 — one failed answer must not stop the next
            log.exception("slack: follow-up %s failed", call.method)
        return False

    # ---- outbound ------------------------------------------------------------------------

    async def deliver(self, message: Outbound) -> DeliveryResult:
        kind_of(message)
        self._ensure_session()
        return await self.sender.deliver(message)



def _sdk_logger(name: str) -> logging.Logger:
    """slack_sdk builds its debug lines (whole request and response bodies) whenever its
    logger's *own* level is NOTSET — on every call, to be dropped. Give it the level in force."""
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET:
        logger.setLevel(logger.getEffectiveLevel())
    return logger


def _too_deep(body: bytes) -> bool:
    """Nested past MAX_DEPTH (bolt's parser would recurse to a crash). A form's url-decoding
    makes `{` and `[` only of themselves and of %7B / %5B, so a body with few of those is not
    deep: the common case is two scans, not a url-decode of its own (bolt decodes it anyway)."""
    if body.lstrip()[:1] not in (b"{", b"["):
        upper = body.upper()
        if sum(upper.count(mark) for mark in (b"{", b"[", b"%7B", b"%5B")) <= MAX_DEPTH:
            return False
    return nesting(_json_part(body), stop_at=MAX_DEPTH) > MAX_DEPTH


def _json_part(body: bytes) -> bytes:
    """The JSON inside a Slack body: the body itself, or a form's url-decoded `payload`."""
    if body.lstrip()[:1] in (b"{", b"["):
        return body
    from urllib.parse import parse_qs

    try:
        form = parse_qs(body.decode("utf-8"))
    except ValueError:
        return b""
    return (form.get("payload") or [""])[0].encode("utf-8", "surrogatepass")
