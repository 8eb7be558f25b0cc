"""The guidelines' 618 promotion driven entirely through Slack: 市场部 initiates with 产品部, 销售部
and 技术部 — modals, buttons, slash commands and mentions, signed as Slack signs them, through the
real app (bot/app.py), the real core and storage, out through the delivery worker to a fake
Slack Web API."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from slack_bot import start_slack_bot, stop_slack_bot

START = datetime(2026, 7, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday


@pytest.fixture
async def slack(database_url, monkeypatch):
    url, schema = database_url
    started = await start_slack_bot(url, schema, start=START, monkeypatch=monkeypatch)
    yield started[0]
    await stop_slack_bot(*started)


async def test_explore(slack):
    print(await slack.command("U_CHEN", "help"))
    print(await slack.command("U_CHEN", "new"))
    view = slack.last_modal()
    print(view["callback_id"], [b.get("block_id") for b in view["blocks"]])
    ack = await slack.submit("U_CHEN", view, {
        "title": "618大促活动", "goal": "618期间GMV同比增长30%", "depts": ["产品部", "销售部", "技术部"],
        "due": "2026-08-20", "standard": "活动页面可用率≥99.9%；订单转化率≥5%",
        "milestones": "方案确认 7/20；开发完成 8/10；活动上线 8/18",
        "content": "产品部=活动玩法；销售部=渠道目标；技术部=活动页面与压测"})
    print("ACK", ack)
    print([ (c.method, c.body.get("text")) for c in slack.fake.calls[-6:]])
    for ts, body in slack.messages():
        print(ts, body["text"])
    print(slack.buttons("request.approve"))
