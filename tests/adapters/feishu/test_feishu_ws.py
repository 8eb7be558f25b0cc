"""The long connection: lark-oapi's ws.Client in its own thread, talking to a fake Feishu
endpoint (the `/callback/ws/endpoint` handshake plus a real websocket speaking Feishu's
protobuf frames), delivering into the same `process()` as HTTP."""
from __future__ import annotations

import asyncio
import threading

import pytest

from adapters.feishu.adapter import FeishuAdapter
from feishu_fakes import Broken, FakeCore, FakeFeishu, card_action, message_event, settings
from workflows.cards import Card
from workflows.events import ActionInvoked, CommandInvoked, Reply


@pytest.fixture
async def fake():
    server = await FakeFeishu().start()
    yield server
    await server.stop()


async def test_long_connection_delivers_commands_and_clicks_into_the_core(fake):
    core = FakeCore(replies=[Reply(text="已创建 XT-2026-001"),
                             Reply(text="已确认", card=Card(title="已确认", tone="success"))])
    adapter = FeishuAdapter(settings=settings(fake.url, mode="ws", encrypt_key="",
                                              verification_token=""), core=core)
    await adapter.start()
    try:
        await asyncio.wait_for(fake.ws_connected.wait(), 60)  # import + handshake + connect
        [handshake] = fake.find("POST", "/callback/ws/endpoint")
        assert handshake.json["AppID"] == "cli_9f5343c580712544"

        answer = await fake.push(message_event("@bot 新建 产品页改版", sender="ou_pm",
                                               event_id="ws-1"))
        assert answer["code"] == 200
        assert isinstance(core.events[0], CommandInvoked)
        assert (core.events[0].text, core.events[0].event_id) == ("新建 产品页改版", "ws-1")
        await adapter.drain()
        [reply] = fake.find("POST", "/reply")
        assert reply.content == {"text": "已创建 XT-2026-001"}

        click = await fake.push(card_action({"a": "task.confirm", "v": {"task": 3}},
                                            operator="ou_head", event_id="ws-2"), message_id="m2")
        assert click["code"] == 200
        assert click["body"]["toast"] == {"type": "success", "content": "已确认"}
        assert click["body"]["card"]["data"]["header"]["title"]["content"] == "已确认"
        assert isinstance(core.events[1], ActionInvoked) and core.events[1].actor == "ou_head"
    finally:
        await adapter.stop()
    assert not [t for t in threading.enumerate() if t.name == "feishu-long-connection"]


async def test_core_failures_are_redelivered_malformed_frames_are_not(fake):
    adapter = FeishuAdapter(settings=settings(fake.url, mode="ws"), core=Broken())
    await adapter.start()
    try:
        await asyncio.wait_for(fake.ws_connected.wait(), 60)
        answer = await fake.push(message_event("@bot 新建", sender="ou_pm", event_id="ws-x"))
        assert answer["code"] == 500
        malformed = message_event("@bot 新建", sender="ou_pm", event_id="ws-y")
        del malformed["event"]["message"]["chat_id"]
        assert (await fake.push(malformed, message_id="m3"))["code"] == 200  # dropped, not retried
    finally:
        await adapter.stop()
