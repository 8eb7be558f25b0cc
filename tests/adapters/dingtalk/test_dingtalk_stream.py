"""DingTalk through the real `dingtalk-stream` SDK against the fake gateway: a typed command and
a card click go through the core and are acked after the commit; a redelivered frame has one
effect; a stalled gateway does not freeze the HTTP server."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import select

from dingtalk_world import GROUP, start_dingtalk_app, stop_dingtalk_app
from storage.tables import AuditEvent

START = datetime(2026, 7, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
FILE = "/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率\n协作部门: 技术部、设计部\n截止: 8/15\n交付标准: 页面加载时间≤2秒"


@pytest.fixture
async def world(database_url, monkeypatch):
    url, schema = database_url
    started = await start_dingtalk_app(url, schema, start=START, monkeypatch=monkeypatch)
    yield started[0]
    await stop_dingtalk_app(*started)


async def test_a_filed_request_posts_a_card_and_the_head_approves_it_in_place(world):
    answer = await world.say("sun", FILE)
    assert "XT-2026-001" in answer  # the answer in the group, through the sessionWebhook
    [card] = [s for s in world.messages() if s.kind == "card"]
    assert card.params["title"] == "[XT-2026-001] 新品详情页改版"
    opened = world.fake.find("POST", "/gateway/connections/open")[0].json
    assert {s["topic"] for s in opened["subscriptions"]} == {
        "/v1.0/im/bot/messages/get", "/v1.0/card/instances/callback"}
    create = world.fake.find("POST", "/card/instances/createAndDeliver")[0].json
    assert create["callbackType"] == "STREAM" and create["openSpaceId"] == f"dtv1.card//IM_GROUP.{GROUP}"
    assert all(isinstance(v, str) for v in create["cardData"]["cardParamMap"].values())

    refused = await world.click("li", world.buttons("request.approve")[0])
    assert "产品部" in refused["userPrivateData"]["cardParamMap"]["my_status"]
    assert "cardData" not in refused  # a refused click never changes what everyone sees
    response = await world.click("wang", world.buttons("request.approve")[0])
    assert "已通过初审" in response["cardData"]["cardParamMap"]["markdown"]
    assert "已通过初审" in card.params["markdown"] and world.buttons("request.approve") == []


async def test_a_redelivered_message_and_click_have_one_effect(world):
    await world.say("sun", FILE, msg_id="msg-dup", frame_id="f-1")
    await world.say("sun", FILE, msg_id="msg-dup", frame_id="f-2")  # DingTalk pushes it again
    assert len([s for s in world.messages() if s.kind == "card"]) == 1
    button = world.buttons("request.approve")[0]
    await world.click("wang", button, frame_id="c-1")
    again = await world.click("wang", button, frame_id="c-1")
    assert again["userPrivateData"]["cardParamMap"]["my_status"]  # told, nothing changed
    async with world.app.db.uow() as uow:
        approvals = [a for a in await uow.all(select(AuditEvent)) if "approve" in a.action]
    assert len(approvals) == 1


async def test_a_stalled_gateway_does_not_block_the_http_server(database_url, monkeypatch):
    url, schema = database_url
    from dingtalk_fake import FakeDingTalk

    stalled = await FakeDingTalk().start()
    stalled.stall_gateway = True
    monkeypatch.setenv("DINGTALK_API_URL", stalled.url)
    started = await start_dingtalk_app(url, schema, start=START, monkeypatch=monkeypatch,
                                       DINGTALK_MODE="http")  # wait for no socket, then switch
    world = started[0]
    from adapters.dingtalk.stream import StreamConnection

    connection = StreamConnection(settings=world.adapter.settings.model_copy(
        update={"api_url": stalled.url, "mode": "stream"}), process=world.adapter.process,
        loop=__import__("asyncio").get_running_loop())
    connection.start()
    try:
        while not stalled.find("POST", "/gateway/connections/open"):
            await __import__("asyncio").sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{world.port}", timeout=2) as http:
            for _ in range(5):
                assert (await http.get("/healthz")).status_code == 200
    finally:
        stalled.stall_gateway = False
        await connection.stop()
        await stalled.stop()
        await stop_dingtalk_app(*started)


async def test_a_malformed_frame_is_acked_400_and_an_unknown_topic_ignored(world):
    from dingtalk_world import CARDS, MESSAGES

    bad = await world.fake.push(MESSAGES, {"msgtype": "text", "text": {"content": "x"}})
    assert bad is not None and bad["code"] == 400  # acked: a redelivery would be as malformed
    nested = await world.fake.push(CARDS, {"outTrackId": "o", "corpId": "c", "userId": "u",
                                           "content": "[" * 3000 + "]" * 3000})
    assert nested is not None and nested["code"] == 400
    other = await world.fake.push("/v1.0/graph/api/invoke", {"a": 1}, timeout=1)
    assert other is None  # not subscribed: the SDK has no handler and sends nothing
    assert world.messages() == []
