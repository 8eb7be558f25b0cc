"""DingTalk's HTTP outgoing mode (`POST /dingtalk/events`): the signature is checked on the
headers before the body is read as JSON; more than an hour of skew, a wrong secret or no
signature is 401; malformed, deeply nested or oversized bodies are 4xx, never 5xx; a database
outage is 503 so DingTalk sends it again."""
from __future__ import annotations

import json
import time

import httpx
import pytest
from starlette.applications import Starlette

from adapters.dingtalk.adapter import DingTalkAdapter
from adapters.dingtalk.settings import DingTalkSettings
from adapters.dingtalk.signature import sign, valid
from dingtalk_fake import CORP, message_data
from asgi_server import serve
from workflows.errors import Unavailable
from workflows.events import Reply

SECRET = "test-app-secret-do-not-use"
VECTOR = json.loads(open("/work/shared/platform-payloads/dingtalk_http_outgoing_signature_vector.json",
                         encoding="utf-8").read()) if __import__("os").path.exists(
    "/work/shared/platform-payloads/dingtalk_http_outgoing_signature_vector.json") else None


class Core:
    def __init__(self, fail: Exception | None = None) -> None:
        self.events, self.fail = [], fail

    async def handle(self, event):
        self.events.append(event)
        if self.fail is not None:
            raise self.fail
        return Reply(text="ok")

    async def defer(self, **kw):
        return None


def adapter(core: Core) -> DingTalkAdapter:
    settings = DingTalkSettings(client_id="k", client_secret=SECRET, robot_code="r", mode="http",
                                api_url="http://127.0.0.1:9")
    return DingTalkAdapter(settings=settings, core=core)


def headers(*, secret: str = SECRET, skew_ms: int = 0) -> dict[str, str]:
    ts = str(int(time.time() * 1000) + skew_ms)
    return {"timestamp": ts, "sign": sign(ts, secret), "Content-Type": "application/json"}


@pytest.fixture
async def post():
    made: list[DingTalkAdapter] = []

    async def send(core: Core, body: bytes, hdrs: dict[str, str]) -> httpx.Response:
        a = adapter(core)
        made.append(a)
        async with serve(Starlette(routes=a.routes())) as base:
            async with httpx.AsyncClient(base_url=base) as http:
                return await http.post("/dingtalk/events", content=body, headers=hdrs)

    yield send
    for a in made:
        await a.stop()


def test_the_recorded_signature_vector_verifies():
    assert VECTOR is not None
    h = VECTOR["headers"]
    assert sign(h["timestamp"], VECTOR["app_secret"]) == h["sign"]
    assert valid(timestamp=h["timestamp"], given=h["sign"], secret=VECTOR["app_secret"],
                 now_ms=int(h["timestamp"]) + 3_599_000)
    assert not valid(timestamp=h["timestamp"], given=h["sign"], secret=VECTOR["app_secret"],
                     now_ms=int(h["timestamp"]) + 3_601_000)


async def test_a_signed_message_reaches_the_core_with_its_msg_id(post):
    core = Core()
    body = json.dumps(message_data("看板", sender="wang", msg_id="m-1")).encode()
    response = await post(core, body, headers())
    assert response.status_code == 200
    [event] = core.events
    assert (event.tenant.workspace, event.actor, event.event_id, event.text) == (CORP, "wang", "msg:m-1", "看板")


@pytest.mark.parametrize("hdrs", [
    {"timestamp": "1700000000000", "sign": "nope"},
    {},
    "wrong-secret",
    "skewed",
])
async def test_bad_or_stale_signatures_are_401_and_nothing_happens(post, hdrs):
    if hdrs == "wrong-secret":
        hdrs = headers(secret="other")
    elif hdrs == "skewed":
        hdrs = headers(skew_ms=-3_601_000)
    core = Core()
    response = await post(core, json.dumps(message_data("看板", sender="wang", msg_id="m")).encode(), hdrs)
    assert response.status_code == 401 and core.events == []


@pytest.mark.parametrize("body,status", [
    (b"{not json", 400),
    (b"[" * 3000 + b"]" * 3000, 400),
    (b'{"a":' * 1500 + b"1" + b"}" * 1500, 400),
    (b"[]", 400),
    (json.dumps({"msgtype": "text", "text": {"content": "x"}}).encode(), 400),  # no sender
    (json.dumps({**message_data("x", sender="w", msg_id="m"), "createAt": "9" * 30}).encode(), 400),
    (b'{"pad": "' + b"x" * (1024 * 1024 + 10) + b'"}', 413),
])
async def test_malformed_bodies_are_4xx_never_5xx(post, body, status):
    core = Core()
    response = await post(core, body, headers())
    assert response.status_code == status and core.events == []
    assert response.json()["errmsg"]


async def test_a_database_outage_is_503_so_dingtalk_sends_it_again(post):
    core = Core(fail=Unavailable("database unreachable"))
    response = await post(core, json.dumps(message_data("看板", sender="wang", msg_id="m")).encode(), headers())
    assert response.status_code == 503
