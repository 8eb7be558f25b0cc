"""Issue 14 "No 5xx, ever": every HTTP endpoint of the app as `serve` builds it (local platform,
Slack and Feishu all configured, real uvicorn on 127.0.0.1, both databases), fed by hypothesis —
signed and unsigned, well-formed shapes with hostile values and plain garbage. A test fails on
any 5xx answer or any ERROR log record (a logged exception, a traceback)."""
from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime
from collections import Counter
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asgi_server import serve
from bot.app import DEMO_ORG, build, load_org_file
from bot.settings import Settings
from bot.time_settings import TimeSettings
from adapters.feishu import crypto
from feishu_fakes import ENCRYPT_KEY, FakeFeishu, card_action, message_event
from feishu_world import FEISHU_ENV, feishu_org, open_id
from slack_bot import ORG as SLACK_ORG
from slack_bot import TEAM
from slack_fake import FakeSlack
from slack_support import SECRET, action_payload, interactive, signed_headers, slash_body
from storage.db import Database
from workflows.clock import VirtualClock
from workflows.org import parse_org
from workflows.router import ACTIONS, FORMS

PEOPLE = ["sun", "wang", "li", "zheng", "huang", "zhao", "nobody"]
HOSTILE = ["\x00", "\ud800", "\udfff", "\u202e", "💥", "'; DROP TABLE x; --", "%s", "{number}", "\n", "#" * 3]
BIG = [2**31 - 1, 2**31, -(2**31) - 1, 2**63, 10**30, -1, 0]
hostile_text = st.lists(st.one_of(st.text(max_size=8), st.sampled_from(HOSTILE),
                                  st.sampled_from(["XT-2026-001", "#1", "#99999999999", "新建", "列表", "new",
                                                   "list", "issue", "截止: 8/15", "due: 99999-1-1"])),
                        max_size=8).map(" ".join)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from(BIG),
                    st.floats(allow_nan=True, allow_infinity=True), hostile_text)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)), max_leaves=12)
ids = st.one_of(st.sampled_from(BIG), st.integers(-3, 6), st.sampled_from(BIG).map(str), hostile_text)
button_value = st.fixed_dictionaries({}, optional={k: ids for k in ("k", "r", "d", "t", "i", "c", "dv", "x")})


@pytest.fixture
async def world(database_url, monkeypatch) -> Any:
    """(base url, error records): the app with all three platforms on real HTTP."""
    url, schema = database_url
    slack, feishu = await FakeSlack(team=TEAM).start(), await FakeFeishu().start()
    env = {**FEISHU_ENV, "FEISHU_DOMAIN": feishu.url, "SLACK_BOT_TOKEN": "xoxb-fuzz", "SLACK_API_URL": slack.api_url,
           "SLACK_SIGNING_SECRET": SECRET, "SLACK_APP_TOKEN": ""}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_MODE", raising=False)
    settings_ = Settings(database_url=url, local_platform=True, virtual_clock=True, archive_dir=None)  # type: ignore[arg-type]
    app = build(settings_, clock=VirtualClock(datetime(2026, 7, 13, 10, tzinfo=ZoneInfo("Asia/Shanghai"))),
                time_settings=TimeSettings(tick_sweep_seconds=0.2), db=Database(url, schema=schema))
    assert {"local", "slack", "feishu"} <= set(app.adapters)
    await app.db.create_all()
    for spec in (load_org_file(DEMO_ORG), parse_org(yaml.safe_load(SLACK_ORG)), feishu_org()):
        await app.core.import_org(spec)
    errors: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.ERROR)
    handler.emit = errors.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        async with serve(app.asgi, lifespan="on") as base:
            yield base, errors
    finally:
        logging.getLogger().removeHandler(handler)
        await slack.stop()
        await feishu.stop()


async def _fuzz(world: Any, strategy: st.SearchStrategy, *, examples: int = 40) -> Counter[int]:
    """Run hypothesis in a thread (the server keeps serving on the test's loop): every drawn
    request must get < 500 and leave no ERROR record. Returns how often each status came back."""
    base, errors = world
    statuses: Counter[int] = Counter()

    def run() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(strategy)
            def check(request: tuple[str, str, bytes, dict[str, str]]) -> None:
                method, path, body, headers = request
                response = http.request(method, path, content=body, headers=headers)
                statuses[response.status_code] += 1
                assert response.status_code < 500, (path, body[:300], response.status_code, response.text[:300])
                if errors:
                    print("REQUEST", path, body[:500])
                assert not errors, [(r.getMessage(), r.exc_info and r.exc_info[1]) for r in errors]
            check()
    await asyncio.to_thread(run)
    return statuses


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


JSON = {"content-type": "application/json"}
garbage = st.one_of(st.binary(max_size=64), json_values.map(_json))

local_requests = st.one_of(
    st.tuples(st.just("POST"), st.sampled_from(["/local/messages", "/local/actions", "/local/clock"]),
              garbage, st.just(JSON)),
    st.builds(lambda chat, user, text: ("POST", "/local/messages", _json({"chat": chat, "user": user,
                                                                           "text": f"/协作 {text}"}), JSON),
              st.sampled_from(["g1", "g\x00", "\ud800"]), st.sampled_from(PEOPLE), hostile_text),
    st.builds(lambda user, action, value, message: ("POST", "/local/actions", _json(
        {"chat": "g1", "user": user, "action_id": action, "value": value, "message_id": message}), JSON),
              st.sampled_from(PEOPLE), st.one_of(st.sampled_from(sorted(ACTIONS)), hostile_text), button_value,
              st.sampled_from(["m1", "", "m99999999999"])),
    st.builds(lambda user, form, fields, context: ("POST", "/local/actions", _json(
        {"chat": "g1", "user": user, "form_id": form, "value": {**fields, "context": context}}), JSON),
              st.sampled_from(PEOPLE), st.sampled_from(sorted(FORMS)),
              st.dictionaries(st.sampled_from(["title", "depts", "due", "standard", "deliverables", "task"]),
                              st.one_of(hostile_text, st.lists(hostile_text, max_size=3), json_values), max_size=4),
              button_value),
    st.builds(lambda body: ("POST", "/local/clock", _json(body), JSON), st.one_of(
        st.fixed_dictionaries({"advance_minutes": st.one_of(st.floats(), st.integers(), st.sampled_from(
            ["Infinity", "1e308", 1e12, 1e308, "NaN", -1]), hostile_text)}),
        st.fixed_dictionaries({"set": st.one_of(st.sampled_from(
            ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+14:00", "2026-07-14T09:00:00+08:00",
             "2026-07-14T09:00:00"]), hostile_text, st.integers())})).filter(
        lambda b: b != {"advance_minutes": 0} and "2026-07-14T09:00:00+08:00" not in str(b)) | st.just({"set": "0001-01-01T00:00:00+00:00"})),
    st.builds(lambda path: ("GET", path, b"", {}), st.sampled_from(
        ["/local/org", "/local/chats/g1/messages", "/local/users/%00/messages", "/local/chats/%F0%9F/messages",
         "/local/clock", "/healthz", "/metrics"])),
)


async def test_no_5xx_and_no_logged_error_on_the_local_api_health_and_metrics(world):
    statuses = await _fuzz(world, local_requests, examples=120)
    assert statuses[200] and statuses[400]  # the fuzz reached the core, and was refused at the door


def _slack(body: bytes, content_type: str, sign: bool) -> tuple[str, str, bytes, dict[str, str]]:
    headers = signed_headers(body, content_type=content_type) if sign else {"Content-Type": content_type}
    return "POST", "/slack/events", body, headers


def _slash(text: str, user: str) -> tuple[bytes, str]:
    """A slash command whose text may hold what no UTF-8 can (sent as its raw bytes)."""
    body = slash_body(text="@@T@@", user=user, team=TEAM)
    raw = quote(text, encoding="utf-8", errors="surrogatepass").encode()
    return body.replace(b"%40%40T%40%40", raw), "application/x-www-form-urlencoded"


slack_bodies = st.one_of(
    st.builds(_slash,
              hostile_text, st.sampled_from(["U_LIU", "U_WANG", "U_NOBODY", "U\x00"])),
    st.builds(lambda action, value, user: (interactive(action_payload(
        action_id=action, value=json.dumps(value), user=user, team=TEAM)), "application/x-www-form-urlencoded"),
              st.sampled_from(sorted(ACTIONS)), button_value, st.sampled_from(["U_LIU", "U_WANG", "U_ZHENG"])),
    st.builds(lambda value: (f"payload={quote(json.dumps(value))}".encode(), "application/x-www-form-urlencoded"),
              json_values),
    st.builds(lambda value: (_json(value), "application/json"), json_values),
)


@pytest.mark.parametrize("sign", [True, False], ids=["signed", "unsigned"])
async def test_no_5xx_and_no_logged_error_on_slack_events(world, sign):
    statuses = await _fuzz(world, slack_bodies.map(lambda b: _slack(*b, sign=sign)), examples=60)
    assert statuses[200] > 0 if sign else (statuses[200] == 0 and statuses[401] > 0), statuses


def _feishu(payload: Any, sign: bool) -> tuple[str, str, bytes, dict[str, str]]:
    if sign and isinstance(payload, dict):
        # JSON escapes (ensure_ascii) carry even a lone surrogate through UTF-8 and encryption
        body = json.dumps({"encrypt": crypto.encrypt(ENCRYPT_KEY, json.dumps(payload))}).encode()
        headers = {**JSON, "X-Lark-Request-Timestamp": str(int(time.time())), "X-Lark-Request-Nonce": "n1",
                   "X-Lark-Signature": crypto.signature(str(int(time.time())), "n1", ENCRYPT_KEY, body)}
    else:
        body, headers = _json(payload), dict(JSON)
    return "POST", "/feishu/events", body, headers


feishu_payloads = st.one_of(
    st.builds(lambda text, who, n: message_event(f"@bot {text}", sender=open_id(who), event_id=f"fz-m-{n}"),
              hostile_text, st.sampled_from(PEOPLE), st.integers(0, 10**9)),
    st.builds(lambda value, who, n: card_action(value, operator=open_id(who), event_id=f"fz-c-{n}"),
              button_value.map(lambda v: {"a": "request.approve", **v}), st.sampled_from(PEOPLE), st.integers(0, 10**9)),
    json_values,
)


@pytest.mark.parametrize("sign", [True, False], ids=["signed", "unsigned"])
async def test_no_5xx_and_no_logged_error_on_feishu_events(world, sign):
    statuses = await _fuzz(world, feishu_payloads.map(lambda p: _feishu(p, sign)), examples=60)
    assert statuses[200] > 0 if sign else (statuses[200] == 0 and statuses[401] > 0), statuses


# --- the measured cases of issue 14, one by one -------------------------------------------

def _deep(n: int) -> Any:
    value: Any = {}
    for _ in range(n):
        value = {"a": value}
    return value


async def _one(world: Any, method: str, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    base, errors = world
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        response = await http.request(method, path, content=body, headers=headers)
    assert response.status_code < 500, response.text[:300]
    assert not errors, [r.getMessage() for r in errors]
    return response


LOCAL_CASES = {
    "nested JSON 3000 levels": ("/local/messages", b"[" * 3000 + b"]" * 3000, 400),
    "nested object 100 levels": ("/local/actions", _json({"chat": "g1", "user": "wang", "action_id": "request.approve",
                                                           "value": _deep(100)}), 400),
    "lone surrogate": ("/local/messages", b'{"chat":"g1","user":"sun","text":"/\\u534f\\u4f5c \\ud800"}', 400),
    "5 MB body": ("/local/messages", _json({"chat": "g1", "user": "sun", "text": "x" * 5_000_000}), 413),
    "clock Infinity": ("/local/clock", b'{"advance_minutes": Infinity}', 400),
    "clock 1e12": ("/local/clock", b'{"advance_minutes": 1e12}', 400),
    "clock 1e308": ("/local/clock", b'{"advance_minutes": 1e308}', 400),
    "clock year 1": ("/local/clock", b'{"set": "0001-01-01T00:00:00+00:00"}', 400),
    "id 2^31 in a button": ("/local/actions", _json({"chat": "g1", "user": "wang", "action_id": "request.approve",
                                                     "value": {"r": 2**31}}), 200),
    "id 10^30 as text": ("/local/actions", _json({"chat": "g1", "user": "wang", "action_id": "task.confirm",
                                                  "value": {"r": "1" + "0" * 30, "d": 1}}), 200),
    "NUL in a filing": ("/local/messages", _json({"chat": "g\x001", "user": "sun", "text": "/协作 新建\n名称: 详情\x00页\n"
                                                  "背景与目标: 转化\n协作部门: 技术部\n截止: 8/15\n交付标准: 2秒"}), 400),
}


async def test_each_measured_local_case_is_a_clear_4xx_or_answer(world):
    wrong = {}
    for case, (path, body, status) in LOCAL_CASES.items():
        response = await _one(world, "POST", path, body, JSON)
        answer = response.json()
        if response.status_code != status:
            wrong[case] = (response.status_code, response.text[:200])
        elif status != 200 and not answer.get("error"):
            wrong[case] = "no error text"
        elif case.startswith("id ") and answer["ok"] is not False:
            wrong[case] = "a forged id was not refused in the chat"
    assert not wrong, wrong




async def test_signed_deeply_nested_slack_payload_is_a_4xx(world):
    body = b"payload=" + quote("[" * 3000 + "]" * 3000).encode()
    await _one(world, *_slack(body, "application/x-www-form-urlencoded", True))


async def test_unsigned_deeply_nested_feishu_body_is_a_4xx(world):
    await _one(world, "POST", "/feishu/events", b"[" * 3000 + b"]" * 3000, JSON)


async def test_a_30_digit_feishu_create_time_is_not_a_5xx(world):
    payload = message_event("@bot 列表", sender=open_id("sun"), event_id="fz-ct", create_ms=10**29)
    await _one(world, *_feishu(payload, True))


@pytest.mark.parametrize("body", [b"", b"hello=world"], ids=["empty", "unknown"])
async def test_signed_empty_or_unknown_slack_body_is_400(world, body):
    response = await _one(world, *_slack(body, "application/x-www-form-urlencoded", True))
    assert response.status_code == 400
