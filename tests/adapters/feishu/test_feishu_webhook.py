"""The HTTP callback `POST /feishu/events`: authentication (401), bad input (400), challenge,
commands and card callbacks, with requests encrypted and signed exactly as Feishu does."""
from __future__ import annotations

import time

import httpx
import pytest
from starlette.applications import Starlette

from adapters.feishu.adapter import FeishuAdapter
from feishu_fakes import (BOT_OPEN_ID, Broken, FakeCore, FakeFeishu, card_action,
                                message_event, recorded, settings, signed)
from workflows.cards import Card
from workflows.events import ActionInvoked, CommandInvoked, FormSubmitted, Reply


@pytest.fixture
async def fake():
    server = await FakeFeishu().start()
    yield server
    await server.stop()


@pytest.fixture
async def env(fake):
    core = FakeCore()
    adapter = FeishuAdapter(settings=settings(fake.url), core=core)
    await adapter.start()
    await adapter.drain()  # learnt the bot's open_id
    client = httpx.AsyncClient(transport=httpx.ASGITransport(Starlette(routes=adapter.routes())),
                               base_url="http://bot")
    yield adapter, core, client
    await client.aclose()
    await adapter.stop()


async def post(client, payload, **kwargs):
    body, headers = signed(payload, **kwargs)
    return await client.post("/feishu/events", content=body, headers=headers)


async def test_url_verification_plain_and_encrypted_echoes_the_challenge(env):
    adapter, core, client = env
    challenge = dict(recorded("url_verification"), token=settings().verification_token)
    plain = await client.post("/feishu/events", json=challenge)
    assert plain.status_code == 200 and plain.json() == {"challenge": "ajls384kdj"}
    encrypted = await client.post("/feishu/events", content=signed(challenge)[0])  # unsigned
    assert encrypted.json() == {"challenge": "ajls384kdj"}
    assert core.events == []


async def test_url_verification_with_a_wrong_token_is_refused(env):
    _, _, client = env
    response = await client.post("/feishu/events", json=recorded("url_verification"))  # "xxxxxx"
    assert response.status_code == 401
    assert response.json() == {"msg": "Verification Token 不匹配，已拒绝"}


async def test_bad_signature_is_401_and_reaches_nobody(env):
    _, core, client = env
    body, headers = signed(message_event("@bot 新建", sender="ou_a", event_id="e1"))
    headers["X-Lark-Signature"] = "0" * 64
    response = await client.post("/feishu/events", content=body, headers=headers)
    assert response.status_code == 401
    assert "签名无效" in response.json()["msg"]
    unsigned = await client.post("/feishu/events", content=body)
    assert unsigned.status_code == 401
    assert core.events == []


@pytest.mark.parametrize("age", [301, -301, 3600])
async def test_timestamp_outside_five_minutes_is_401_even_when_correctly_signed(env, age):
    _, core, client = env
    payload = message_event("@bot 新建", sender="ou_a", event_id=f"stale{age}")
    response = await post(client, payload, timestamp=int(time.time()) - age)
    assert response.status_code == 401
    assert core.events == []


async def test_body_encrypted_with_another_key_is_401(env):
    _, core, client = env
    response = await post(client, message_event("@bot x", sender="ou_a", event_id="k"),
                          key="someone else's key")
    assert response.status_code == 401 and core.events == []


async def test_wrong_verification_token_inside_a_signed_body_is_401(env):
    _, core, client = env
    payload = message_event("@bot x", sender="ou_a", event_id="t")
    payload["header"]["token"] = "forged"
    assert (await post(client, payload)).status_code == 401 and core.events == []


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]"])
async def test_malformed_json_is_400(env, body):
    _, core, client = env
    response = await client.post("/feishu/events", content=body)
    assert response.status_code == 400 and "请求格式错误" in response.json()["msg"]


async def test_signed_event_missing_fields_is_400(env):
    _, core, client = env
    payload = card_action({"a": "task.confirm"}, operator="ou_a", event_id="m")
    del payload["event"]["operator"]
    response = await post(client, payload)
    assert response.status_code == 400 and core.events == []


async def test_without_encrypt_key_or_token_every_callback_is_refused(fake):
    adapter = FeishuAdapter(settings=settings(fake.url, encrypt_key="", verification_token=""),
                            core=FakeCore())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(Starlette(routes=adapter.routes())),
                                 base_url="http://bot") as client:
        response = await client.post("/feishu/events", json=recorded("url_verification"))
    assert response.status_code == 401
    await adapter.stop()


async def test_command_reaches_the_core_and_the_reply_answers_the_message(env, fake):
    adapter, core, client = env
    core.replies.append(Reply(text="已创建 XT-2026-001", card=Card(title="XT-2026-001 产品页改版")))
    response = await post(client, message_event("@bot 新建 产品页改版", sender="ou_pm",
                                                 event_id="ev-cmd-1"))
    assert response.status_code == 200 and response.json() == {}
    assert core.events == [CommandInvoked(tenant=core.events[0].tenant, actor="ou_pm",
                                          conversation="oc_group", event_id="ev-cmd-1",
                                          at=core.events[0].at, text="新建 产品页改版")]
    await adapter.drain()
    replies = fake.find("POST", "/reply")
    assert [c.path for c in replies] == ["/open-apis/im/v1/messages/om_ev-cmd-1/reply"] * 2
    assert replies[0].content == {"text": "已创建 XT-2026-001"}
    assert replies[1].json["msg_type"] == "interactive"
    assert replies[1].content["header"]["title"]["content"] == "XT-2026-001 产品页改版"


async def test_a_re_pushed_event_has_one_effect(env, fake):
    adapter, core, client = env
    payload = message_event("@bot 新建 产品页改版", sender="ou_pm", event_id="ev-dup")
    for _ in range(3):  # Feishu re-pushes at 15 s, 5 min, 1 h … with the same event_id
        assert (await post(client, payload)).status_code == 200
    await adapter.drain()
    assert [e.event_id for e in core.events] == ["ev-dup"] * 3  # the core decides: duplicate
    assert len(fake.find("POST", "/reply")) == 1  # … and the user is answered once


async def test_card_click_answers_with_toast_and_updated_card(env):
    _, core, client = env
    core.replies.append(Reply(text="技术部已确认", card=Card(title="分工确认 1/2", tone="info")))
    response = await post(client, card_action({"a": "task.confirm", "v": {"task": 3}},
                                              operator="ou_tech_head", event_id="click-1"))
    assert response.status_code == 200
    assert response.json()["toast"] == {"type": "success", "content": "技术部已确认"}
    assert response.json()["card"]["type"] == "raw"
    assert response.json()["card"]["data"]["header"]["title"]["content"] == "分工确认 1/2"
    event = core.events[0]
    assert isinstance(event, ActionInvoked) and event.action_id == "task.confirm"
    assert event.value == {"task": 3} and event.actor == "ou_tech_head"


async def test_refused_click_gets_an_error_toast_and_no_card(env):
    _, core, client = env
    core.replies.append(Reply(text="只有技术部负责人可以确认", ok=False, refused=True))
    response = await post(client, card_action({"a": "task.confirm", "v": {"task": 3}},
                                              operator="ou_intern", event_id="click-2"))
    assert response.json() == {"toast": {"type": "error", "content": "只有技术部负责人可以确认"}}


async def test_form_submit_becomes_form_submitted_and_a_form_reply_is_posted(env, fake):
    adapter, core, client = env
    core.replies.append(Reply(text="请补充", form=Card(title="补充信息")))
    response = await post(client, card_action(
        {"f": "issue.raise", "v": {"request": 15}}, operator="ou_a", event_id="form-1",
        message_id="om_card_9", form_value={"severity": "high", "deadline": "2026-07-21 +0800"}))
    assert response.json()["toast"]["content"] == "请补充"
    event = core.events[0]
    assert isinstance(event, FormSubmitted) and event.form_id == "issue.raise"
    assert event.fields == {"severity": "high", "deadline": "2026-07-21"}
    await adapter.drain()
    [form] = fake.find("POST", "/om_card_9/reply")
    assert form.content["header"]["title"]["content"] == "补充信息"


async def test_core_failure_on_a_click_is_an_error_toast_not_a_500(fake):
    adapter = FeishuAdapter(settings=settings(fake.url), core=Broken())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(Starlette(routes=adapter.routes())),
                                 base_url="http://bot") as client:
        click = await post(client, card_action({"a": "x"}, operator="ou_a", event_id="c"))
        assert click.status_code == 200 and click.json()["toast"]["type"] == "error"
        command = await post(client, message_event("@bot 新建", sender="ou_a", event_id="m"))
        assert command.status_code == 503  # not acknowledged: Feishu pushes it again
    await adapter.stop()


async def test_bot_id_is_learnt_so_a_late_mention_still_counts(env):
    adapter, core, client = env
    assert adapter.bot_open_id == BOT_OPEN_ID
    await post(client, message_event("请看 @bot 状态", sender="ou_a", event_id="late"))
    assert core.events[0].text == "请看 状态"


async def test_a_reply_feishu_refuses_is_logged_and_the_event_still_acknowledged(env, fake, caplog):
    adapter, core, client = env
    fake.script("POST", "/reply", status=400, body={"code": 230002, "msg": "bot not in chat"})
    response = await post(client, message_event("@bot 新建", sender="ou_pm", event_id="r-fail"))
    await adapter.drain()
    assert response.status_code == 200 and len(core.events) == 1
    assert "not sent" in caplog.text


async def test_a_rate_limited_reply_is_retried_with_the_same_uuid(env, fake):
    adapter, core, client = env
    fake.script("POST", "/reply", status=429, body={"code": 99991400, "msg": "limit"},
                headers={"x-ogw-ratelimit-reset": "0"})
    await post(client, message_event("@bot 新建", sender="ou_pm", event_id="r-429"))
    await adapter.drain()
    attempts = fake.find("POST", "/om_r-429/reply")
    assert len(attempts) == 2 and attempts[0].json["uuid"] == attempts[1].json["uuid"]
    assert [m["content"] for m in fake.replies("om_r-429")] == [{"text": "ok"}]
