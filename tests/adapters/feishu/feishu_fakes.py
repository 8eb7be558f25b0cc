"""Test support for the Feishu adapter: a fake Feishu Open API served over real HTTP on
127.0.0.1 (records every call, can be scripted, speaks the long-connection protocol too), and
builders of inbound requests encrypted and signed exactly as Feishu does."""
from __future__ import annotations

import asyncio
import base64
import copy
import json
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from adapters.feishu import crypto
from adapters.feishu.settings import FeishuSettings

PAYLOADS = Path(__file__).parent / "payloads"
BOT_OPEN_ID = "ou_bot_collab"
APP_ID = "cli_9f5343c580712544"
ENCRYPT_KEY = "encrypt-key-for-tests"
VERIFICATION_TOKEN = "rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV"
TENANT = "2ca1d211f64f6438"


def recorded(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def settings(domain: str = "http://127.0.0.1:9", **overrides: Any) -> FeishuSettings:
    values = dict(app_id=APP_ID, app_secret="sec", encrypt_key=ENCRYPT_KEY,
                  verification_token=VERIFICATION_TOKEN, domain=domain, mode="http")
    values.update(overrides)
    return FeishuSettings(_env_file=None, **values)


# --- inbound payloads (recorded shapes) -----------------------------------------------------

def message_event(text: str, *, sender: str, chat_id: str = "oc_group", chat_type: str = "group",
                  event_id: str, mention_bot: bool = True, others: list[tuple[str, str]] = (),
                  create_ms: int | None = None) -> dict[str, Any]:
    """im.message.receive_v1 as Feishu pushes it; `text` may use `@bot` and `@_user_N` keys."""
    payload = copy.deepcopy(recorded("message_receive_v2"))
    mentions = []
    if mention_bot:
        mentions.append({"key": "@_user_1", "id": {"open_id": BOT_OPEN_ID, "union_id": "on_bot",
                                                   "user_id": ""}, "name": "协作助手",
                         "tenant_key": TENANT})
        text = text.replace("@bot", "@_user_1")
    for index, (open_id, name) in enumerate(others, start=2):
        mentions.append({"key": f"@_user_{index}", "id": {"open_id": open_id}, "name": name,
                         "tenant_key": TENANT})
    payload["header"].update(event_id=event_id, tenant_key=TENANT, app_id=APP_ID,
                             token=VERIFICATION_TOKEN,
                             create_time=str(create_ms or int(time.time() * 1000)))
    payload["event"]["sender"]["sender_id"]["open_id"] = sender
    message = payload["event"]["message"]
    message.update(chat_id=chat_id, chat_type=chat_type, message_id=f"om_{event_id}",
                   content=json.dumps({"text": text}, ensure_ascii=False), mentions=mentions)
    return payload


def card_action(value: dict[str, Any], *, operator: str, event_id: str,
                message_id: str = "om_card", chat_id: str = "oc_group",
                form_value: dict[str, Any] | None = None,
                create_ms: int | None = None) -> dict[str, Any]:
    """card.action.trigger as Feishu sends it for a click (or a form submit)."""
    payload = copy.deepcopy(recorded("card_action_trigger"))
    payload["header"].update(event_id=event_id, tenant_key=TENANT, token=VERIFICATION_TOKEN,
                             create_time=str(create_ms or int(time.time() * 1000)))
    payload["event"]["operator"]["open_id"] = operator
    payload["event"]["action"]["value"] = value
    payload["event"]["action"]["form_value"] = form_value or {}
    if form_value is not None:
        payload["event"]["action"]["name"] = "submit"
    payload["event"]["context"] = {"open_message_id": message_id, "open_chat_id": chat_id}
    return payload


def signed(payload: dict[str, Any], *, key: str = ENCRYPT_KEY, timestamp: int | None = None,
           nonce: str = "nonce123", encrypt: bool = True) -> tuple[bytes, dict[str, str]]:
    """The body and headers of Feishu's POST: encrypted, then signed over the raw body."""
    plain = json.dumps(payload, ensure_ascii=False)
    body = (json.dumps({"encrypt": crypto.encrypt(key, plain)}) if encrypt else plain).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return body, {"Content-Type": "application/json",
                  "X-Lark-Request-Timestamp": ts, "X-Lark-Request-Nonce": nonce,
                  "X-Lark-Signature": crypto.signature(ts, nonce, key, body)}


# --- the fake Open API ----------------------------------------------------------------------

@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]

    @property
    def content(self) -> Any:
        """The message `content` string, parsed."""
        return json.loads(self.json["content"])


@dataclass
class FakeFeishu:
    """Feishu's Open API on 127.0.0.1: records calls; `script()` queues answers (429 …)."""

    calls: list[Call] = field(default_factory=list)
    scripted: list[tuple[str, str, int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    tokens_issued: int = 0
    url: str = ""
    frames: asyncio.Queue = field(default_factory=asyncio.Queue)  # answers from the ws client
    ws_connected: asyncio.Event = field(default_factory=asyncio.Event)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # what users see, by id
    answers: dict[str, Any] = field(default_factory=dict)  # path → body or fn(call) → body
    _sent: dict[str, str] = field(default_factory=dict)  # uuid → message id
    _ws: WebSocket | None = None
    _server: Any = None
    _task: Any = None

    def script(self, method: str, path_contains: str, *, status: int, body: dict[str, Any],
               headers: dict[str, str] | None = None, exact: bool = False) -> None:
        """The next matching call gets this answer (path == `path_contains` when `exact`)."""
        self.scripted.append((method, ("=" if exact else "") + path_contains, status, body,
                              headers or {}))

    def find(self, method: str, path_contains: str = "") -> list[Call]:
        return [c for c in self.calls if c.method == method and path_contains in c.path]

    @property
    def api_calls(self) -> list[Call]:
        return [c for c in self.calls if "tenant_access_token" not in c.path]

    async def _handle(self, request: Request) -> JSONResponse:
        raw = await request.body()
        call = Call(request.method, request.url.path, dict(request.query_params),
                    json.loads(raw) if raw else None, dict(request.headers))
        self.calls.append(call)
        for index, (method, part, status, body, headers) in enumerate(self.scripted):
            if method == call.method and (call.path == part[1:] if part.startswith("=")
                                          else part in call.path):
                del self.scripted[index]
                return JSONResponse(body, status_code=status, headers=headers)
        return JSONResponse(self._answer(call))

    def _answer(self, call: Call) -> dict[str, Any]:
        if call.path.endswith("/tenant_access_token/internal"):
            self.tokens_issued += 1
            return {"code": 0, "msg": "ok", "expire": 7200,
                    "tenant_access_token": f"t-fake-{self.tokens_issued}"}
        if not call.headers.get("authorization", "").startswith("Bearer t-fake-"):
            return {"code": 99991661, "msg": "missing access token"}
        if call.path in self.answers:
            answer = self.answers[call.path]
            return answer(call) if callable(answer) else answer
        if call.path == "/open-apis/bot/v3/info":
            return {"code": 0, "msg": "ok", "bot": {"open_id": BOT_OPEN_ID, "app_name": "协作助手"}}
        if call.path == "/callback/ws/endpoint":
            return self._endpoint()
        if call.method == "POST" and call.path.startswith("/open-apis/im/v1/messages"):
            uuid = (call.json or {}).get("uuid") or f"no-uuid-{len(self.calls)}"
            if uuid not in self._sent:  # Feishu: the same uuid within an hour → the same message
                self._sent[uuid] = message_id = f"om_fake_{len(self._sent) + 1}"
                parent = call.path.split("/")[5] if call.path.endswith("/reply") else ""
                self.messages[message_id] = {
                    "id": message_id, "to": (call.json or {}).get("receive_id", ""),
                    "reply_to": parent, "type": call.json["msg_type"], "content": call.content}
            return {"code": 0, "msg": "success", "data": {"message_id": self._sent[uuid]}}
        if "/urgent_" in call.path:
            return {"code": 0, "msg": "success", "data": {"invalid_user_id_list": []}}
        if call.method == "PATCH" and call.path.startswith("/open-apis/im/v1/messages/"):
            message_id = call.path.rsplit("/", 1)[1]
            if message_id not in self.messages:
                return {"code": 230001, "msg": "message not found"}
            self.messages[message_id]["content"] = call.content
        return {"code": 0, "msg": "success", "data": {}}

    def to(self, receiver: str) -> list[dict[str, Any]]:
        """The messages in a chat (chat_id) or a person's DMs (open_id), oldest first."""
        return [m for m in self.messages.values() if m["to"] == receiver]

    def replies(self, message_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["reply_to"] == message_id]

    def _endpoint(self) -> dict[str, Any]:
        ws_url = self.url.replace("http://", "ws://") + "/ws?device_id=dev-1&service_id=7"
        return {"code": 0, "msg": "ok", "data": {"URL": ws_url, "ClientConfig": {
            "ReconnectCount": 0, "ReconnectInterval": 1, "ReconnectNonce": 0, "PingInterval": 120}}}

    async def _endpoint_route(self, request: Request) -> JSONResponse:
        self.calls.append(Call("POST", "/callback/ws/endpoint", {}, await request.json(),
                               dict(request.headers)))
        return JSONResponse(self._endpoint())

    async def _websocket(self, websocket: WebSocket) -> None:
        await websocket.accept()
        self._ws = websocket
        self.ws_connected.set()
        try:
            while True:
                data = await websocket.receive_bytes()
                from lark_oapi.ws.pb.pbbp2_pb2 import Frame

                frame = Frame()
                frame.ParseFromString(data)
                if frame.method == 1:  # a DATA frame: the client's answer to one of ours
                    await self.frames.put(frame)
        except WebSocketDisconnect:
            self._ws = None

    async def push(self, payload: dict[str, Any], *, message_id: str = "msg-1") -> dict[str, Any]:
        """Send one event frame over the long connection; return the client's answer."""
        from lark_oapi.ws.pb.pbbp2_pb2 import Frame

        frame = Frame()
        frame.SeqID, frame.LogID, frame.service, frame.method = 1, 1, 7, 1
        for key, value in (("type", "event"), ("message_id", message_id), ("sum", "1"),
                           ("seq", "0"), ("trace_id", "trace-1")):
            header = frame.headers.add()
            header.key, header.value = key, value
        frame.payload = json.dumps(payload, ensure_ascii=False).encode()
        assert self._ws is not None
        await self._ws.send_bytes(frame.SerializeToString())
        answer = await asyncio.wait_for(self.frames.get(), 20)
        response = json.loads(answer.payload)
        data = response.get("data")
        return {"code": response["code"],
                "body": json.loads(base64.b64decode(data)) if data else None}

    async def start(self) -> "FakeFeishu":
        app = Starlette(routes=[
            Route("/callback/ws/endpoint", self._endpoint_route, methods=["POST"]),
            WebSocketRoute("/ws", self._websocket),
            Route("/{path:path}", self._handle, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
        ])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        self._server.should_exit = True
        await self._task


@dataclass
class FakeCore:
    """Records the events it is handed and answers with `replies` (or a default Reply)."""

    replies: list[Any] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    async def handle(self, event: Any) -> Any:
        from workflows.events import Reply

        self.events.append(event)
        if event.event_id in self.seen:
            return Reply(duplicate=True)
        self.seen.add(event.event_id)
        if self.replies:
            reply = self.replies.pop(0)
            return reply(event) if callable(reply) else reply
        return Reply(text="ok")


class Broken:
    """A core whose database is down."""

    async def handle(self, event: Any) -> Any:
        raise RuntimeError("database is down")
