"""Issue 14, "no 5xx for any input", on the adapters' HTTP endpoints: signatures are verified
before a body is parsed, JSON nesting is limited (1,000–3,000 levels → 400), absurd numbers and
encodings are 400, oversized bodies 413 — and nothing reaches the core."""
from __future__ import annotations

import time

import httpx
import pytest
from starlette.applications import Starlette

from adapters.http import BodyError, loads, nesting

DEEP = [b"[" * n + b"]" * n for n in (1000, 3000)] + [b'{"a":' * 2000 + b"1" + b"}" * 2000]


def test_nesting_counts_only_outside_strings():
    assert nesting(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') == 1
    assert nesting(b"[" * 70 + b"]" * 70) > 64
    assert loads(b'{"a": [1, {"b": "\\"["}]}') == {"a": [1, {"b": '"['}]}
    for body in DEEP:
        with pytest.raises(BodyError) as raised:
            loads(body)
        assert raised.value.status == 400


# --- Slack ------------------------------------------------------------------------------------

@pytest.fixture
async def slack():
    from adapters.slack.adapter import SlackAdapter
    from adapters.slack.settings import SlackSettings
    from slack_support import SECRET, FakeCore, running

    core = FakeCore()
    adapter = SlackAdapter(settings=SlackSettings(bot_token="xoxb-1", signing_secret=SECRET,
                                                  api_url="http://127.0.0.1:9/api/"), core=core)
    adapter.sync_identities = lambda: _nothing()  # no Web API in these tests
    async with running(adapter) as http:
        yield http, core


async def _nothing() -> int:
    return 0


@pytest.mark.parametrize("body,content_type", [
    (b"", "application/x-www-form-urlencoded"),
    (b"{}", "application/json"),
    (b'{"type": "something_else"}', "application/json"),
    (b"foo=bar", "application/x-www-form-urlencoded"),
    (b"payload=" + b"%5B" * 3000 + b"%5D" * 3000, "application/x-www-form-urlencoded"),
    (b"payload=" + b"%7b%22a%22:" * 3000, "application/x-www-form-urlencoded"),
    (b"payload=" + b"[" * 3000 + b"]" * 3000, "application/x-www-form-urlencoded"),
    *[(body, "application/json") for body in DEEP],
])
async def test_slack_signed_empty_unknown_or_deep_bodies_are_400(slack, body, content_type):
    http, core = slack
    response = await http.post(body, content_type=content_type)
    assert response.status_code == 400 and core.events == []


async def test_slack_oversized_bodies_are_413(slack):
    http, core = slack
    response = await http.post(b"text=" + b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413 and core.events == []


# --- Feishu -----------------------------------------------------------------------------------

@pytest.fixture
async def feishu():
    from adapters.feishu.adapter import FeishuAdapter
    from feishu_fakes import FakeCore, settings

    core = FakeCore()
    adapter = FeishuAdapter(settings=settings("http://127.0.0.1:9"), core=core)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(Starlette(routes=adapter.routes())),
                               base_url="http://bot")
    yield client, core
    await client.aclose()
    await adapter.api.aclose()


@pytest.mark.parametrize("body", DEEP)
async def test_feishu_unsigned_deep_json_is_401_before_it_is_parsed(feishu, body):
    client, core = feishu
    response = await client.post("/feishu/events", content=body, headers={
        "X-Lark-Request-Timestamp": str(int(time.time())), "X-Lark-Request-Nonce": "n",
        "X-Lark-Signature": "0" * 64})
    assert response.status_code == 401 and core.events == []


@pytest.mark.parametrize("body", DEEP)
async def test_feishu_signed_deep_json_is_400(feishu, body):
    from adapters.feishu import crypto
    from feishu_fakes import ENCRYPT_KEY

    client, core = feishu
    ts = str(int(time.time()))
    response = await client.post("/feishu/events", content=body, headers={
        "X-Lark-Request-Timestamp": ts, "X-Lark-Request-Nonce": "n",
        "X-Lark-Signature": crypto.signature(ts, "n", ENCRYPT_KEY, body)})
    assert response.status_code == 400 and core.events == []


async def test_feishu_a_30_digit_create_time_is_400(feishu):
    from feishu_fakes import message_event, signed

    client, core = feishu
    payload = message_event("@bot 看板", sender="ou_x", event_id="e-30")
    payload["header"]["create_time"] = "9" * 30
    body, headers = signed(payload)
    response = await client.post("/feishu/events", content=body, headers=headers)
    assert response.status_code == 400 and core.events == []


# --- local ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path,body,status", [
    ("/local/messages", DEEP[1], 400),
    ("/local/messages", b'{"chat": "g1", "user": "sun", "text": "/\\u534f\\u4f5c \\ud800"}', 400),
    ("/local/messages", b'{"chat": "g1", "user": "sun", "text": "/collab a\\u0000b"}', 400),
    ("/local/messages", b'{"chat": "g1", "user": "sun", "text": "' + b"x" * (5 * 1024 * 1024) + b'"}', 413),
    ("/local/clock", b'{"advance_minutes": Infinity}', 400),
    ("/local/clock", b'{"advance_minutes": 1e308}', 400),
    ("/local/clock", b'{"advance_minutes": 1e12}', 400),
    ("/local/clock", b'{"set": "0001-01-01T00:00:00+08:00"}', 400),
    ("/local/actions", DEEP[2], 400),
])
async def test_local_bad_bodies_are_4xx_and_change_nothing(platform, path, body, status):
    before = (await platform.http.get("/local/clock")).json()["now"]
    response = await platform.http.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert "error" in response.json()
    assert (await platform.http.get("/local/clock")).json()["now"] == before
    assert await platform.messages("g1") == []
