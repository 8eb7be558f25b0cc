"""R14 in a Feishu tenant, end to end through the real app: an urgent issue nobody acknowledges
buzzes (加急) the responsible department's head after 2 hours and the VP 2 hours later — the
VP step as FEISHU_VP_URGENT says; an acknowledged issue buzzes nobody."""
from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from feishu_world import GROUP, card_text, start_feishu_app, stop_feishu_app

START = datetime(2026, 7, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
REQUEST = "/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升详情页转化率10%\n协作部门: 技术部、设计部\n" \
          "截止: 8/15\n交付标准: 页面加载时间≤2秒"
ISSUE = "/协作 问题 XT-2026-001\n描述: 支付页白屏\n责任部门: 技术部\n紧急: 是"


@pytest.fixture
async def world(database_url, monkeypatch):
    started = await start_feishu_app(*database_url, start=START, monkeypatch=monkeypatch,
                                     FEISHU_VP_URGENT="phone")
    yield started[0]
    await stop_feishu_app(*started)


def buzzes(world) -> list[tuple[str, list[str], str]]:
    """(kind, buzzed open_ids, to whom the buzzed message was sent) for every 加急 call."""
    found = []
    for call in world.fake.find("PATCH", "/urgent_"):
        message_id = call.path.split("/")[-2]
        found.append((call.path.rsplit("/", 1)[1], call.json["user_id_list"],
                      world.fake.messages[message_id]["to"]))
    return found


async def test_unacknowledged_urgent_issue_buzzes_the_head_then_the_vp(world):
    assert "XT-2026-001" in await world.say("sun", REQUEST)
    assert "XT-2026-001#1" in await world.say("lin", ISSUE)
    await world.advance(hours=1, minutes=59)
    assert buzzes(world) == []

    await world.advance(minutes=2)  # 2 hours without an acknowledgement: 技术部's head, 李强
    assert buzzes(world) == [("urgent_app", ["ou_li"], "ou_li")]
    assert any("李强" in text for text in world.chat_text(GROUP))  # and a note in the group

    await world.advance(hours=2)  # still nobody: the VP, 赵总, by phone as configured
    assert buzzes(world)[1:] == [("urgent_phone", ["ou_zhao"], "ou_zhao")]
    dm = world.fake.to("ou_zhao")[-1]
    assert dm["type"] == "interactive" and "支付页白屏" in card_text(dm["content"])


async def test_an_acknowledged_urgent_issue_buzzes_nobody(world):
    await world.say("sun", REQUEST)
    await world.say("lin", ISSUE)
    ack = world.buttons("issue.ack")[0]
    assert (await world.click("wu", ack))["toast"]["type"] == "success"  # 技术部's liaison
    await world.advance(hours=5)
    assert buzzes(world) == []


async def test_a_rate_limited_post_is_sent_after_feishus_reset_by_the_delivery_worker(world):
    limited = {"code": 99991400, "msg": "request trigger frequency limit"}
    world.fake.script("POST", "/open-apis/im/v1/messages", status=429, body=limited,
                      headers={"x-ogw-ratelimit-reset": "1"}, exact=True)
    assert "XT-2026-001" in await world.say("sun", REQUEST)
    assert world.fake.to(GROUP) == []  # the request card hit the rate limit: not yet posted
    await asyncio.sleep(1.1)  # Feishu said: in 1 s
    await world.settle()
    [card] = world.fake.to(GROUP)
    assert "新品详情页改版" in card_text(card["content"])
    attempts = [c for c in world.fake.find("POST") if c.path == "/open-apis/im/v1/messages"]
    assert [c.query["receive_id_type"] for c in attempts] == ["chat_id", "chat_id"]
    assert attempts[0].json["uuid"] == attempts[1].json["uuid"]  # the same row, the same uuid
