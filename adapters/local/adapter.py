"""The embedded local platform: JSON over HTTP, the demo's UI and the end-to-end harness.
A real adapter like the others — events go in through the core, messages come out through the
outbox and the delivery worker."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from adapters.base import CoreApi, DeliveryError, DeliveryResult, Outbound, kind_of
from adapters.http import BodyError, loads, read_body
from adapters.inline import InlineAnswer, inline_answer
from adapters.local.store import LocalStore
from storage.db import Database
from workflows.clock import Clock, VirtualClock
from workflows.errors import Unavailable
from workflows.events import ActionInvoked, CommandInvoked, FormSubmitted, Reply, Tenant
from workflows.grammar import command_text

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024  # bytes: a long request form is a few KB
# the virtual clock stays where every date computation (calendars, timers) still works
CLOCK_RANGE = (datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2200, 1, 1, tzinfo=timezone.utc))


class BadRequest(ValueError):
    status = 400


class TooLarge(BadRequest):
    status = 413


def _require(body: Any, *names: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    missing = [n for n in names if not isinstance(body.get(n), str) or not body.get(n)]
    if missing:
        raise BadRequest(f"missing or empty: {', '.join(missing)}")
    _check_text(body)
    return body


def _check_text(value: Any) -> None:
    """No lone surrogates (not UTF-8) and no NUL (PostgreSQL text refuses it) anywhere."""
    if isinstance(value, str):
        if "\x00" in value:
            raise BadRequest("text must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("text is not valid Unicode (lone surrogate)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


def answer_json(answer: InlineAnswer) -> dict[str, Any]:
    """The local API's inline answer (its documented shape)."""
    card = answer.replace_card or answer.private_card
    return {"reply": answer.text, "ok": answer.ok, "refused": answer.refused,
            "duplicate": answer.duplicate, "card": card.to_dict() if card else None,
            "form": answer.form.to_dict() if answer.form else None, "errors": answer.errors}


def reply_json(reply: Reply, *, clicked: bool = False) -> dict[str, Any]:
    return answer_json(inline_answer(reply, clicked=clicked))


class LocalAdapter:
    platform = "local"
    rate_per_second = 1000.0
    rate_per_chat = 1000.0

    def __init__(self, *, core: CoreApi, clock: Clock, db: Database, workspace: str = "demo", locale: str = "zh-CN",
                 on_clock_change: Callable[[], Awaitable[None]] | None = None) -> None:
        self.core, self.clock, self.workspace = core, clock, workspace
        self.tenant = Tenant("local", workspace, locale=locale)
        self.store = LocalStore(db=db, workspace_id=self.tenant.id)
        self.on_clock_change = on_clock_change

    def routes(self) -> list[BaseRoute]:
        return [Route("/local/messages", self.post_message, methods=["POST"]),
                Route("/local/actions", self.post_action, methods=["POST"]),
                Route("/local/chats", self.chats, methods=["GET"]),
                Route("/local/chats/{chat}/messages", self.chat_messages, methods=["GET"]),
                Route("/local/users/{user}/messages", self.user_messages, methods=["GET"]),
                Route("/local/org", self.org, methods=["GET"]),
                Route("/local/clock", self.set_clock, methods=["POST", "GET"])]

    async def start(self) -> None:
        """A virtual clock resumes where it stood when the demo stopped (time lives in rows) —
        or later, when this process was started at a later time: virtual time never goes back."""
        if isinstance(self.clock, VirtualClock):
            saved = await self.store.load_time(self.tenant.id)
            if saved is not None and saved > self.clock.now():
                self.clock.set(saved)
            await self.store.save_time(self.tenant.id, self.clock.now())

    async def stop(self) -> None:
        return None

    async def drain(self) -> None:
        return None  # every answer is in the HTTP response: nothing runs after it

    async def _guard(self, request: Request, work: Callable[[Any], Awaitable[JSONResponse]]) -> JSONResponse:
        try:
            body = await read_body(request, limit=MAX_BODY)
            return await work(loads(body or b"null"))
        except BodyError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        except BadRequest as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        except Unavailable as exc:
            log.warning("local: %s; the client should send it again", exc)
            return JSONResponse({"error": "temporarily unavailable, nothing was changed: send it again"},
                                status_code=503, headers={"Retry-After": "5"})

    async def post_message(self, request: Request) -> JSONResponse:
        """Someone types in a chat (a DM when `chat` is their own id)."""
        async def work(body: Any) -> JSONResponse:
            b = _require(body, "chat", "user", "text")
            text = command_text(b["text"])
            if text is None:
                return JSONResponse(reply_json(Reply()))  # chatter, not a command
            reply = await self.core.handle(CommandInvoked(
                tenant=self.tenant, actor=b["user"], conversation=b["chat"], text=text,
                event_id=str(b.get("event_id") or uuid.uuid4())))
            return JSONResponse(reply_json(reply))
        return await self._guard(request, work)

    async def post_action(self, request: Request) -> JSONResponse:
        """Someone clicks a button, or submits a form (`form_id` + `value` holding the fields)."""
        async def work(body: Any) -> JSONResponse:
            b = _require(body, "chat", "user")
            value = b.get("value") or {}
            if not isinstance(value, dict):
                raise BadRequest("value must be an object")
            event_id = str(b.get("event_id") or uuid.uuid4())
            message = str(b.get("message_id") or "")
            if b.get("form_id"):
                context = value.get("context") if isinstance(value.get("context"), dict) else {}
                fields = {k: v for k, v in value.items() if k != "context"}
                event: Any = FormSubmitted(tenant=self.tenant, actor=b["user"], conversation=b["chat"],
                                           event_id=event_id, message=message, form_id=str(b["form_id"]),
                                           fields=fields, value=context)
            else:
                _require(b, "action_id")
                event = ActionInvoked(tenant=self.tenant, actor=b["user"], conversation=b["chat"],
                                      event_id=event_id, message=message, action_id=b["action_id"], value=value)
            answer = inline_answer(await self.core.handle(event), clicked=True)
            if answer.replace_card is not None and message:
                await self.store.replace(message, answer.replace_card, self.clock.now())
            return JSONResponse(answer_json(answer))
        return await self._guard(request, work)

    async def chats(self, request: Request) -> JSONResponse:
        """The group chats with any message, most recently active first, and a version that
        changes whenever anything shown changes (a live page polls it)."""
        return JSONResponse({"chats": await self.store.chats(), "version": await self.store.version(),
                             "now": self.clock.now().isoformat()})

    async def chat_messages(self, request: Request) -> JSONResponse:
        return await self._box(self.store.CHAT, request.path_params["chat"])

    async def user_messages(self, request: Request) -> JSONResponse:
        return await self._box(self.store.USER, request.path_params["user"])

    async def _box(self, box: str, key: str) -> JSONResponse:
        """A chat's or a person's messages; an id no platform would give (NUL, too long) is a
        400, not a query PostgreSQL refuses."""
        if not key or len(key) > 200 or "\x00" in key:
            return JSONResponse({"error": "bad chat or user id"}, status_code=400)
        messages = await self.store.messages(box=box, key=key)
        return JSONResponse({"messages": [m.as_json() for m in messages]})

    async def org(self, request: Request) -> JSONResponse:
        return JSONResponse(await self.core.org_snapshot(tenant=self.tenant))

    async def set_clock(self, request: Request) -> JSONResponse:
        """Move the virtual clock (demo and tests only; 404 on a real clock)."""
        if not isinstance(self.clock, VirtualClock):
            return JSONResponse({"error": "the clock is not virtual"}, status_code=404)
        if request.method == "GET":
            return JSONResponse({"now": self.clock.now().isoformat()})

        async def work(body: Any) -> JSONResponse:
            if not isinstance(body, dict) or not ({"advance_minutes", "set"} & body.keys()):
                raise BadRequest('give {"advance_minutes": N} or {"set": "<ISO datetime>"}')
            try:
                if "set" in body:
                    when = datetime.fromisoformat(str(body["set"]))
                    if when.tzinfo is None or when.utcoffset() is None:
                        raise BadRequest("set needs a time zone offset, e.g. 2026-07-01T10:00:00+08:00")
                else:
                    value = body["advance_minutes"]
                    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                        raise BadRequest("advance_minutes must be a number")
                    minutes = float(value)
                    if not 0 <= minutes <= (CLOCK_RANGE[1] - CLOCK_RANGE[0]).total_seconds() / 60:
                        raise BadRequest("advance_minutes must be a finite number of minutes, not negative")
                    when = self.clock.now() + timedelta(minutes=minutes)
                if not CLOCK_RANGE[0] <= when < CLOCK_RANGE[1]:
                    raise BadRequest(f"the clock stays between {CLOCK_RANGE[0].year} and {CLOCK_RANGE[1].year}")
                if "set" in body:
                    self.clock.set(when)
                else:
                    self.clock.advance(timedelta(minutes=minutes))
            except (TypeError, ValueError, OverflowError) as exc:
                if isinstance(exc, BadRequest):
                    raise
                raise BadRequest(f"bad clock value: {exc}") from None
            await self.store.save_time(self.tenant.id, self.clock.now())
            if self.on_clock_change is not None:
                await self.on_clock_change()
            return JSONResponse({"now": self.clock.now().isoformat()})
        return await self._guard(request, work)

    async def deliver(self, message: Outbound) -> DeliveryResult:
        kind = kind_of(message)
        card = message.card()
        if card is None:
            raise DeliveryError("the local platform shows cards only", retryable=False)
        now = self.clock.now()
        if kind == "update":
            if await self.store.replace(message.platform_message_id, card, now) is None:
                raise DeliveryError(f"no message {message.platform_message_id}", retryable=False)
            return DeliveryResult(platform_message_id=message.platform_message_id)
        if message.kind in ("dm", "urgent"):
            msg = await self.store.add(box=self.store.USER, key=message.conversation, card=card, now=now,
                                       urgent=message.kind == "urgent",
                                       escalation=str(message.payload.get("escalation", "")))
        else:
            msg = await self.store.add(box=self.store.CHAT, key=message.conversation, card=card, now=now)
        return DeliveryResult(platform_message_id=msg.id)
