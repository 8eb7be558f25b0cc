"""A fake Slack on 127.0.0.1: the Web API (`/api/<method>`), response_url hooks (`/hooks/…`) and a
Socket Mode WebSocket (`/link`). Real HTTP, random port; every call is recorded and any method
can be scripted (e.g. 429 with Retry-After, then OK) — the adapter under test cannot tell it
from slack.com except by `SLACK_API_URL`."""
from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web


@dataclass
class Recorded:
    method: str  # Web API method, or "hook" for a response_url POST
    body: dict[str, Any]
    headers: dict[str, str]
    path: str = ""
    response: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scripted:
    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    def __init__(self, *, team: str = "T111", bot_user: str = "UBOT") -> None:
        self.team, self.bot_user = team, bot_user
        self.calls: list[Recorded] = []
        self.scripts: dict[str, list[Scripted]] = {}
        self.emails: dict[str, str] = {}  # user id → email (users.info / lookupByEmail)
        self.socket_received: list[dict[str, Any]] = []  # what the app sent on the WebSocket
        self._ts = itertools.count(1)
        self.fail_status = 0  # > 0: every Web API call answers this status (an outage's 500s)
        self.failed_calls = 0
        self._changed = asyncio.Condition()
        self._ws: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle ---------------------------------------------------------------------

    async def start(self, port: int = 0) -> "FakeSlack":
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # users.info & co. are sent as GET
        app.router.add_post("/hooks/{rest:.*}", self._hook)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def hook_url(self, name: str = "T111/1/abc") -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    # ---- scripting and inspection ------------------------------------------------------

    def script(self, method: str, *responses: Scripted) -> None:
        self.scripts.setdefault(method, []).extend(responses)

    def calls_to(self, method: str) -> list[Recorded]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Recorded]:
        async def enough() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.calls_to(method)) >= count)
        await asyncio.wait_for(enough(), timeout)
        return self.calls_to(method)

    def channel(self, channel: str) -> list[tuple[str, dict[str, Any]]]:
        """The channel as people see it: every posted message (ts, latest body) in order,
        after the chat.update calls that changed it."""
        messages: dict[str, dict[str, Any]] = {}
        for call in self.calls:
            if call.method == "chat.postMessage" and call.response.get("ok") and \
                    call.response.get("channel") == channel:
                messages[call.response["ts"]] = call.body
            elif call.method == "chat.update" and call.body.get("channel") == channel and \
                    call.body.get("ts") in messages:
                messages[call.body["ts"]] = call.body
        return list(messages.items())

    async def _record(self, call: Recorded) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # ---- Web API -------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.text()
        if self.fail_status:
            self.failed_calls += 1
            return web.json_response({"ok": False, "error": "internal_error"},
                                     status=self.fail_status)
        if request.content_type == "application/json":
            body = json.loads(raw or "{}")
        else:
            body = dict(parse_qsl(raw, keep_blank_values=True))
        body = {**dict(request.query), **body}  # some SDK methods send query parameters
        queued = self.scripts.get(method)
        answer = queued.pop(0) if queued else Scripted(body=self._default(method, body))
        await self._record(Recorded(method, body, dict(request.headers), request.path,
                                    response=answer.body))
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)

    def _default(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        ts = f"1700000000.{next(self._ts):06d}"
        if method == "auth.test":
            return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme",
                    "user": "collab", "team_id": self.team, "user_id": self.bot_user,
                    "bot_id": "BBOT", "is_enterprise_install": False}
        if method == "chat.postMessage":
            return {"ok": True, "channel": body.get("channel"), "ts": ts,
                    "message": {"text": body.get("text"), "ts": ts, "type": "message"}}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts"),
                    "text": body.get("text")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method in ("views.open", "views.update", "views.push"):
            return {"ok": True, "view": {"id": f"V{next(self._ts)}", **(body.get("view") or {})}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(body.get("users", "")).lstrip("UW")}}
        if method == "users.info":
            user = body.get("user", "")
            return {"ok": True, "user": {"id": user, "team_id": self.team,
                                         "profile": {"email": self.emails.get(user, "")}}}
        if method == "users.lookupByEmail":
            wanted = str(body.get("email", "")).lower()
            user = next((u for u, e in self.emails.items() if e.lower() == wanted), "")
            return {"ok": True, "user": {"id": user}} if user else {"ok": False,
                                                                  "error": "users_not_found"}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        return {"ok": False, "error": "unknown_method"}

    async def _hook(self, request: web.Request) -> web.Response:
        body = json.loads(await request.text() or "{}")
        await self._record(Recorded("hook", body, dict(request.headers), request.path))
        return web.Response(text="ok")

    # ---- Socket Mode ---------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._ws = ws
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1234"},
                 "debug_info": {"host": "applink-1", "approximate_connection_time": 3600}}
        await ws.send_str(json.dumps(hello))
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                async with self._changed:
                    self.socket_received.append(json.loads(message.data))
                    self._changed.notify_all()
        return ws

    async def wait_connected(self, timeout: float = 5.0) -> None:
        async def connected() -> None:
            while self._ws is None:
                await asyncio.sleep(0.01)
        await asyncio.wait_for(connected(), timeout)

    async def send_envelope(self, envelope: dict[str, Any]) -> None:
        assert self._ws is not None, "no Socket Mode connection"
        await self._ws.send_str(json.dumps(envelope))

    async def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((m for m in self.socket_received if m.get("envelope_id") == envelope_id),
                        None)

        async def arrived() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: found() is not None)
        await asyncio.wait_for(arrived(), timeout)
        return found()  # type: ignore[return-value]
