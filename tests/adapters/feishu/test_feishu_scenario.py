"""What only Feishu does, end to end in a tenant: filing by the form card, a re-pushed command,
form errors as an error toast, a stranger's answer, the long connection. Every message and
click arrives as Feishu sends it (encrypted, signed). The whole product-page scenario runs on
every platform in `tests/adapters/conformance/test_product_page_everywhere.py`."""
from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from feishu_fakes import card_action, message_event
from feishu_world import GROUP, card_text, start_feishu_app, stop_feishu_app
from storage.tables import CollaborationRequest

START = datetime(2026, 7, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday


@pytest.fixture
async def world(database_url, monkeypatch):
    started = await start_feishu_app(*database_url, start=START, monkeypatch=monkeypatch)
    yield started[0]
    await stop_feishu_app(*started)


async def test_a_re_pushed_command_files_one_request_and_answers_once(world):
    db = world.app.db
    command = "/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升详情页转化率10%\n协作部门: 技术部、设计部\n" \
              "截止: 8/15\n交付标准: 页面加载时间≤2秒"
    first = await world.say("sun", command, event_id="ev-repush")
    for _ in range(3):  # 15 s, 5 min, 1 h later: the same header.event_id
        assert await world.say("sun", command, event_id="ev-repush") == first
    assert "XT-2026-001" in first
    async with db.uow() as uow:
        assert len(await uow.all(select(CollaborationRequest))) == 1
    answered = world.fake.find("POST", "/om_ev-repush/reply")
    assert answered and len(answered) == len(world.last)  # answered once, not once per push


async def test_form_errors_come_back_as_an_error_toast_and_file_nothing(world):
    db = world.app.db
    await world.say("sun", "/协作 新建")
    answer = await world.submit("sun", world.last[0], {"title": "新品详情页改版，标题远远超过二十个字的限制了吧",
                                                       "depts": ["技术部"], "due": "2026-08-15 +0800"})
    assert answer["toast"]["type"] == "error" and "20" in answer["toast"]["content"]
    async with db.uow() as uow:
        assert await uow.all(select(CollaborationRequest)) == []


async def test_a_stranger_gets_a_clear_answer_in_chinese(world):
    reply = await world.say("nobody", "/协作 新建")
    assert "ou_nobody" in reply


async def test_the_long_connection_drives_the_same_core(database_url, monkeypatch):
    world, server, task = await start_feishu_app(*database_url, start=START, monkeypatch=monkeypatch,
                                                 FEISHU_MODE="ws")
    fake = world.fake
    try:
        await asyncio.wait_for(fake.ws_connected.wait(), 60)
        command = "@bot /协作 新建\n名称: 新品详情页改版\n背景与目标: 提升详情页转化率10%\n" \
                  "协作部门: 技术部、设计部\n截止: 8/15\n交付标准: 页面加载时间≤2秒"
        answer = await fake.push(message_event(command, sender="ou_sun", chat_id=GROUP,
                                               event_id="ws-file"))
        assert answer["code"] == 200
        await world.settle()
        assert "XT-2026-001" in fake.replies("om_ws-file")[0]["content"]["text"]
        approve = world.buttons("request.approve")[0]
        click = await fake.push(card_action(approve["value"], operator="ou_wang", event_id="ws-ok",
                                            message_id=approve["message_id"], chat_id=GROUP),
                                message_id="frame-2")
        assert click["body"]["toast"]["type"] == "success"
        assert "已通过初审" in card_text(click["body"]["card"]["data"])
        async with world.app.db.uow() as uow:
            [request] = await uow.all(select(CollaborationRequest))
        assert (request.number, request.state) == ("XT-2026-001", "approved")
    finally:
        await stop_feishu_app(world, server, task)
