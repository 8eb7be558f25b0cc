"""A fake DingTalk on 127.0.0.1 — real HTTP and a real WebSocket — that records every call:
the Stream gateway (`/v1.0/gateway/connections/open`, then the socket that pushes frames and
reads acks), the OpenAPI the bot calls (token, robot messages, cards, DING) and session
webhooks. `script()` queues answers (90018, 5xx …); `stall_gateway` makes connections/open
hang, as a gateway outage does."""
from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

CLIENT_ID, CLIENT_SECRET, ROBOT, CORP = "dingcollab", "dingsecret", "dingcollab", "dingcorp618"
TEMPLATE = "collab-generic.schema"


@dataclass
class Call:
    method: str
    path: str
    json: Any
    headers: dict[str, str]


@dataclass
class Shown:
    """A message as a person sees it: a card instance (params, updated in place) or text."""

    id: str
    space: str  # IM_GROUP.<cid> / IM_ROBOT.<userId> / the conversation of a text
    kind: str  # card / markdown / text / ding
    params: dict[str, str] = field(default_factory=dict)
    text: str = ""
    private: dict[str, dict[str, str]] = field(default_factory=dict)


class FakeDingTalk:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.shown: list[Shown] = []
        self.cards: dict[str, Shown] = {}
        self.acks: dict[str, dict[str, Any]] = {}
        self.ack_times: dict[str, float] = {}  # messageId → time.monotonic() of its ack (bench)
        self.scripted: list[tuple[str, str, int, Any]] = []
        self.tokens = itertools.count(1)
        self.valid_tokens: set[str] = set()
        self.stall_gateway = False
        self.connected = asyncio.Event()
        self._ws: WebSocket | None = None
        self._ack_arrived = asyncio.Event()
        self._ids = itertools.count(1)
        self.url = ""

    # --- scripting and queries ------------------------------------------------------------------

    def script(self, method: str, path_contains: str, *, status: int, body: Any) -> None:
        self.scripted.append((method, path_contains, status, body))

    def find(self, method: str, path_contains: str = "") -> list[Call]:
        return [c for c in self.calls if c.method == method and path_contains in c.path]

    def in_group(self, cid: str) -> list[Shown]:
        return [s for s in self.shown if s.space in (f"IM_GROUP.{cid}", cid)]

    def to_user(self, user: str) -> list[Shown]:
        return [s for s in self.shown if s.space in (f"IM_ROBOT.{user}", f"user:{user}")]

    # --- the stream -----------------------------------------------------------------------------

    async def push(self, topic: str, data: dict[str, Any], *, message_id: str | None = None,
                   wait: bool = True, timeout: float = 10.0) -> dict[str, Any] | None:
        """One CALLBACK frame; returns the client's ack (None if none came within `timeout`)."""
        message_id = message_id or f"frame-{next(self._ids)}"
        frame = {"specVersion": "1.0", "type": "CALLBACK",
                 "headers": {"appId": "app-1", "contentType": "application/json",
                             "messageId": message_id, "time": "1768926000000", "topic": topic},
                 "data": json.dumps(data, ensure_ascii=False)}
        await asyncio.wait_for(self.connected.wait(), 10)
        assert self._ws is not None
        await self._ws.send_text(json.dumps(frame, ensure_ascii=False))
        if not wait:
            return None
        return await self.wait_ack(message_id, timeout=timeout)

    async def wait_ack(self, message_id: str, *, timeout: float = 10.0) -> dict[str, Any] | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while message_id not in self.acks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            self._ack_arrived.clear()
            try:
                await asyncio.wait_for(self._ack_arrived.wait(), remaining)
            except asyncio.TimeoutError:
                return None
        return self.acks[message_id]

    async def _socket(self, websocket: WebSocket) -> None:
        await websocket.accept()
        self._ws = websocket
        self.connected.set()
        try:
            while True:
                ack = json.loads(await websocket.receive_text())
                self.ack_times[ack["headers"]["messageId"]] = time.monotonic()
                self.acks[ack["headers"]["messageId"]] = ack
                self._ack_arrived.set()
        except WebSocketDisconnect:
            self._ws = None
            self.connected.clear()

    async def _open(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.calls.append(Call("POST", request.url.path, body, dict(request.headers)))
        while self.stall_gateway:
            await asyncio.sleep(0.05)
        if body.get("clientId") != CLIENT_ID or body.get("clientSecret") != CLIENT_SECRET:
            return JSONResponse({"code": "InvalidClient"}, status_code=401)
        return JSONResponse({"endpoint": self.url.replace("http://", "ws://") + "/connect",
                             "ticket": f"ticket-{next(self._ids)}"})

    # --- the OpenAPI ------------------------------------------------------------------------------

    async def _api(self, request: Request) -> JSONResponse:
        body = await request.json() if await request.body() else None
        call = Call(request.method, request.url.path, body, dict(request.headers))
        self.calls.append(call)
        for index, (method, part, status, answer) in enumerate(self.scripted):
            if method == call.method and part in call.path:
                del self.scripted[index]
                return JSONResponse(answer, status_code=status)
        path = call.path
        if path == "/v1.0/oauth2/accessToken":
            if body.get("appKey") != CLIENT_ID or body.get("appSecret") != CLIENT_SECRET:
                return JSONResponse({"code": "InvalidAppKey"}, status_code=400)
            token = f"tok-{next(self.tokens)}"
            self.valid_tokens.add(token)
            return JSONResponse({"accessToken": token, "expireIn": 7200})
        if call.headers.get("x-acs-dingtalk-access-token") not in self.valid_tokens:
            return JSONResponse({"code": "InvalidAuthentication", "message": "token invalid"},
                                status_code=401)
        return JSONResponse(self._answer(call))

    def _answer(self, call: Call) -> Any:
        body, path = call.json, call.path
        if path == "/v1.0/robot/groupMessages/send":
            key = f"pq-{next(self._ids)}"
            self.shown.append(Shown(key, body["openConversationId"], "markdown",
                                    text=json.loads(body["msgParam"]).get("text")
                                    or json.loads(body["msgParam"]).get("content", "")))
            return {"processQueryKey": key}
        if path == "/v1.0/robot/oToMessages/batchSend":
            for user in body["userIds"]:
                param = json.loads(body["msgParam"])
                self.shown.append(Shown(f"pq-{next(self._ids)}", f"user:{user}", "markdown",
                                        text=param.get("text") or param.get("content", "")))
            return {"processQueryKey": "pq", "invalidStaffIdList": [], "flowControlledStaffIdList": []}
        if path == "/v1.0/robot/ding/send":
            for user in body["receiverUserIdList"]:
                self.shown.append(Shown(f"ding-{next(self._ids)}", f"user:{user}", "ding",
                                        text=body["content"]))
            return {"openDingId": "ding-1", "failedList": {}}
        if path == "/v1.0/card/instances/createAndDeliver":
            space = body["openSpaceId"].removeprefix("dtv1.card//")
            card = Shown(body["outTrackId"], space, "card",
                         params=dict(body["cardData"]["cardParamMap"]))
            self.shown.append(card)
            self.cards[card.id] = card
            return {"success": True, "result": {"outTrackId": card.id, "deliverResults": [
                {"spaceType": space.split(".")[0], "spaceId": space.split(".", 1)[1],
                 "success": True, "carrierId": f"carrier-{card.id}"}]}}
        if path == "/v1.0/card/instances" and call.method == "PUT":
            card = self.cards.get(body["outTrackId"])
            if card is None:
                return {"success": False}
            card.params.update(body["cardData"]["cardParamMap"])
            return {"success": True, "result": True}
        return {}

    async def _session(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.calls.append(Call("POST", request.url.path, body, dict(request.headers)))
        for index, (method, part, status, answer) in enumerate(self.scripted):
            if method == "POST" and part in request.url.path:
                del self.scripted[index]
                return JSONResponse(answer, status_code=status)
        conversation = request.path_params["conversation"]
        text = (body.get("markdown") or {}).get("text") or (body.get("text") or {}).get("content", "")
        self.shown.append(Shown(f"hook-{next(self._ids)}", conversation, "markdown", text=text))
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    def session_url(self, conversation: str) -> str:
        return f"{self.url}/session/{conversation}"

    def apply(self, out_track_id: str, ack: dict[str, Any] | None, *, user: str) -> dict[str, Any]:
        """What the clicker's client does with a callback ack: the card's new public data, and
        the clicker's private line. Returns the ack's `response`."""
        assert ack is not None, "no ack"
        response = (json.loads(ack["data"]) or {}).get("response") or {}
        card = self.cards.get(out_track_id)
        if card is not None:
            card.params.update((response.get("cardData") or {}).get("cardParamMap") or {})
            private = (response.get("userPrivateData") or {}).get("cardParamMap")
            if private:
                card.private[user] = dict(private)
        return response

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> "FakeDingTalk":
        app = Starlette(routes=[
            Route("/v1.0/gateway/connections/open", self._open, methods=["POST"]),
            WebSocketRoute("/connect", self._socket),
            Route("/session/{conversation:path}", self._session, methods=["POST"]),
            Route("/{path:path}", self._api, methods=["GET", "POST", "PUT"]),
        ])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        self.stall_gateway = False
        if self._ws is not None:
            try:
                await self._ws.close()
            except Exception:  # noqa: BLE001 — already gone
                pass
        self._server.should_exit = True
        await self._task


def message_data(text: str, *, sender: str, conversation: str = "cid618", msg_id: str,
                 group: bool = True, session_webhook: str = "") -> dict[str, Any]:
    """A robot message on the recorded shape (dingtalk_stream_chatbot_message.json)."""
    return {"conversationId": conversation, "atUsers": [{"dingtalkId": "$:LWCP_v1:$bot"}],
            "chatbotCorpId": CORP, "chatbotUserId": "$:LWCP_v1:$bot", "msgId": msg_id,
            "senderNick": sender, "isAdmin": False, "senderStaffId": sender,
            "sessionWebhookExpiredTime": 1890367502152, "createAt": 1790362101894,
            "senderCorpId": CORP, "conversationType": "2" if group else "1",
            "senderId": f"$:LWCP_v1:${sender}", "conversationTitle": "618",
            "isInAtList": True, "sessionWebhook": session_webhook, "text": {"content": f" {text}"},
            "robotCode": ROBOT, "msgtype": "text"}


def click_data(card: Shown, index: int, *, user: str) -> dict[str, Any]:
    """A card callback's data for button `index` of a card we sent (dingtalk_card_callback.json)."""
    space_type, space_id = card.space.split(".", 1)
    params = {"action": card.params[f"btn{index}_action"], "value": card.params[f"btn{index}_value"]}
    return {"type": "actionCallback", "outTrackId": card.id, "corpId": CORP, "userId": user,
            "userIdType": 1, "spaceType": space_type, "spaceId": space_id, "extension": "{}",
            "content": json.dumps({"cardPrivateData": {"actionIds": [f"btn{index}"],
                                                       "params": params}}, ensure_ascii=False)}
