"""The guidelines' 618 promotion driven entirely through Slack: 市场部 initiates with 产品部, 销售部
and 技术部 — modals, buttons, slash commands and mentions, signed as Slack signs them, through the
real app (bot/app.py), the real core and storage, out through the delivery worker to a fake
Slack Web API."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from slack_bot import start_slack_bot, stop_slack_bot
from slack_support import recorded
from storage.tables import (AuditEvent, CollaborationRequest, Confirmation, Delivery, Issue,
                            OutboxMessage, Person, PlanChange, Task)

START = datetime(2026, 7, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
HEADS = {"市场部": "U_LIU", "产品部": "U_WANG", "销售部": "U_ZHANG", "技术部": "U_LI"}
# longer than the 150 characters Slack allows an option's value: its self-check box must work
STANDARD = ("活动页面可用率≥99.9%，订单转化率≥5%，" + "，".join(
    f"第{n}批次压测峰值QPS≥{n}万且P99响应时间≤300毫秒，错误率≤0.1%" for n in range(1, 6)))


@pytest.fixture
async def slack(database_url, monkeypatch):
    url, schema = database_url
    started = await start_slack_bot(url, schema, start=START, monkeypatch=monkeypatch)
    yield started[0]
    await stop_slack_bot(*started)


async def rows(slack, model, *where):
    async with slack.app.db.uow() as uow:
        return await uow.all(select(model).where(*where))


def ticks(view, block_id: str) -> list[str]:
    """Every box of a checkbox input, as the values Slack would send with all of them ticked."""
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return [option["value"] for option in block["element"]["options"]]


def button_for(slack, action_id: str, dept: str):
    [found] = slack.buttons(action_id, label=dept)
    return found


async def test_618_promotion_runs_end_to_end_in_slack(slack):
    # R1/R3: 市场部's liaison files the request through the modal; a too-long title (R1 ≤ 20)
    # is answered in the modal itself, nothing is filed
    assert await slack.command("U_CHEN", "new") == ""  # the modal opens instead
    form = slack.last_modal()
    fields = {"title": "618大促活动", "goal": "618期间GMV同比增长30%",
              "depts": ["产品部", "销售部", "技术部"], "due": "2026-08-20",
              "standard": STANDARD,
              "milestones": "方案确认 7/20；开发完成 8/10；活动上线 8/18",
              "content": "产品部=活动玩法；销售部=渠道目标；技术部=活动页面与压测"}
    rejected = await slack.submit("U_CHEN", form, {**fields, "title": "618大促活动" * 4})
    assert rejected["response_action"] == "errors" and "20" in rejected["errors"]["title"]
    assert await rows(slack, CollaborationRequest) == []
    assert await slack.submit("U_CHEN", form, fields) == {}  # the modal closes
    [request] = await rows(slack, CollaborationRequest)
    assert (request.number, request.state, request.conversation) == (
        "XT-2026-001", "submitted", "C0618")
    assert "XT-2026-001" in slack.fake.calls_to("hook")[-1].body["text"]  # told privately

    # R4/R25: only 市场部's head may approve; a stranger's click is refused privately
    [approve] = slack.buttons("request.approve")
    assert "<@U_LIU>" in slack.messages()[0][1]["text"]  # the head is pinged
    refused = await slack.click("U_ZHANG", approve)
    assert "市场部" in refused and slack.fake.calls_to("chat.update") == []
    assert "approved" in await slack.click("U_LIU", approve, trigger="approve-once")
    await slack.click("U_LIU", approve, trigger="approve-once")  # a redelivered click
    assert [a.action for a in await rows(slack, AuditEvent, AuditEvent.action.like("request.%"))
            ] == ["request.file", "request.approve"]
    assert slack.buttons("request.approve") == []  # the card was updated in place

    # R5: the RACI split — first task through the modal, the rest in one multi-line mention
    assert await slack.click("U_CHEN", slack.buttons("raci.open")[0]) == ""
    assert await slack.submit("U_CHEN", slack.last_modal(), {
        "task": "活动方案", "lead": "市场部", "owner": "chen", "due": "2026-07-20",
        "accountable": "产品部", "consulted": ["销售部"], "informed": ["技术部"], "standard": "可用率≥99.9%"}) == {}
    added = await slack.mention("U_CHEN", "assign XT-2026-001\n"
                                "task: 活动页面开发 | lead: 技术部 | owner: 郑凯 | due: 8/10 | "
                                "support: 产品部 | standard: 可用率≥99.9%\n"
                                "task: 渠道铺货 | lead: 销售部 | owner: <@U_HE|heli> | due: 8/18 | standard: 可用率≥99.9%")
    assert "2" in added, added
    tasks = sorted(await rows(slack, Task), key=lambda t: t.seq)
    assert [t.title for t in tasks] == ["活动方案", "活动页面开发", "渠道铺货"]
    he = (await rows(slack, Person, Person.key == "he"))[0]
    assert tasks[2].owner_id == he.id  # named by a Slack mention, found by the identity

    # R6: every involved head confirms for their own department only
    assert len(slack.buttons("task.confirm")) == 4
    assert "技术部" in await slack.click("U_ZHANG", button_for(slack, "task.confirm", "技术部"))
    for dept, head in HEADS.items():
        await slack.click(head, button_for(slack, "task.confirm", dept))
    assert len(await rows(slack, Confirmation)) == 4
    assert slack.buttons("task.confirm") == []

    # R7/R9: progress by slash command, one line (Slack commands are one line)
    assert "XT-2026-001" in await slack.command(
        "U_ZHENG", "daily XT-2026-001#2 today: 压测脚本完成 tomorrow: 全链路压测")
    await slack.command("U_ZHENG", "status XT-2026-001#2 in progress risk: 中")
    board = await slack.command("U_LIU", "board XT-2026-001")
    assert "活动页面开发" in board and "Risk medium" in board

    # R12/R14: an urgent issue nobody acknowledges escalates to 技术部's head by DM after two
    # hours, then to the VP — both known to the org file only by email, linked at start
    raised = await slack.mention("U_HE", "issue XT-2026-001 urgent\ndesc: 支付回调失败\ndept: 技术部")
    assert "XT-2026-001" in raised, raised
    slack.app.clock.advance(timedelta(hours=2, minutes=1))
    await slack.settle()
    [ping] = slack.dms("U_LI")
    assert ping["text"].startswith(":rotating_light: <@U_LI>")
    slack.app.clock.advance(timedelta(hours=2))
    await slack.settle()
    assert slack.dms("U_ZHAO")[0]["text"].startswith(":rotating_light: <@U_ZHAO>")
    assert "技术部" in await slack.click("U_ZHANG", slack.buttons("issue.ack")[0])
    await slack.click("U_WU", slack.buttons("issue.ack")[0])
    [issue] = await rows(slack, Issue)
    assert issue.state == "acknowledged"
    await slack.click("U_WU", slack.buttons("issue.ack")[-1])  # a stale button: no second ack
    assert len(await rows(slack, AuditEvent, AuditEvent.action == "issue.ack")) == 1
    await slack.command("U_WU", "resolve XT-2026-001#1 回调重试已修复")

    # R17: a plan change takes effect once every involved head approves
    await slack.mention("U_CHEN", "change XT-2026-001\nreason: 平台规则调整\ndue: 8/25")
    for dept, head in HEADS.items():
        for button in slack.buttons("change.approve", label=dept):
            await slack.click(head, button)
    [change] = await rows(slack, PlanChange)
    [request] = await rows(slack, CollaborationRequest)
    assert (change.state, request.due_date.isoformat()) == ("approved", "2026-08-25")

    # R19/R20: delivery with the self-check list through the modal (a box per agreed
    # standard); the initiating head sends it back for rework, then accepts the second round
    assert len(STANDARD) > 150
    assert await slack.command("U_ZHENG", "deliver XT-2026-001") == ""
    boxes = ticks(slack.last_modal(), "met")  # the values Slack sends back for ticked boxes
    assert len(boxes) == 2 and all(len(v) <= 150 for v in boxes)
    assert await slack.submit("U_ZHENG", slack.last_modal(), {
        "deliverables": "活动页面+压测报告", "met": boxes[1:]}) == {}
    assert "市场部" in await slack.click("U_ZHENG", slack.buttons("acceptance.pass")[0])
    await slack.click("U_LIU", slack.buttons("acceptance.rework")[0])  # 返工 asks why, in a modal
    assert await slack.submit("U_LIU", slack.last_modal(), {"reason": "压测报告缺失", "rework_due": "2026-08-20"}) == {}
    assert await slack.command("U_ZHENG", "deliver XT-2026-001") == ""
    await slack.submit("U_ZHENG", slack.last_modal(), {"deliverables": "v2", "met": boxes})
    first, second = await rows(slack, Delivery)
    assert [c["met"] for c in first.self_check] == [False, True]
    assert second.self_check == [{"standard": STANDARD, "met": True, "note": ""},
                                 {"standard": "可用率≥99.9%", "met": True, "note": ""}]
    await slack.click("U_LIU", slack.buttons("acceptance.pass")[0])

    # R21: both sides confirm completion; R22/R23: archive and a lesson learned
    for dept, head in HEADS.items():
        for button in slack.buttons("completion.confirm", label=dept):
            await slack.click(head, button)
    archived = await slack.command("U_CHEN", "archive XT-2026-001")
    assert "2026年Q3618大促活动协作计划_市场部" in archived, archived
    assert "XT-2026-001" in await slack.command("U_ZHENG", "lesson XT-2026-001 压测要提前两周")
    [request] = await rows(slack, CollaborationRequest)
    assert request.state == "archived" and request.lessons

    # every message the bot owed went out; refusals left their audit rows (R24/R25)
    outbox = await rows(slack, OutboxMessage)
    assert outbox and {r.state for r in outbox} == {"sent"}
    refusals = await rows(slack, AuditEvent, AuditEvent.action == "click.refused")
    assert len(refusals) >= 4


async def test_slack_retrying_a_mention_raises_the_issue_once(slack):
    from slack_support import mention_body

    body = mention_body(text="issue XT-2026-001 desc: 渠道库存不足 dept: 产品部", user="U_HE",
                        channel="C0618", team="T0618", event_id="EvRETRY1")
    await slack.command("U_CHEN", "new title: 618大促活动 depts: 产品部 due: 2026-08-20 "
                                  "standard: 可用率≥99.9%")
    await slack.click("U_LIU", slack.buttons("request.approve")[0])
    retries = [{}, *recorded("event_retry_headers")["retries"]]
    for headers in retries:  # the first delivery, then Slack's three retries
        response = await slack.http.post(body, content_type="application/json", headers=headers)
        assert response.status_code == 200
    await slack.settle()
    assert len(await rows(slack, Issue)) == 1
    assert len(await rows(slack, AuditEvent, AuditEvent.action == "issue.raise")) == 1


@pytest.fixture
async def socket_slack(database_url, monkeypatch):
    url, schema = database_url
    started = await start_slack_bot(url, schema, start=START, monkeypatch=monkeypatch,
                                    socket_mode=True)
    yield started[0]
    await stop_slack_bot(*started)


async def test_socket_mode_runs_the_same_core_path_without_a_public_url(socket_slack):
    slack = socket_slack
    assert slack.adapter.routes() == []
    await slack.fake.wait_connected()
    envelope = recorded("socket_mode_slash_command_envelope")
    envelope["payload"].update(team_id="T0618", user_id="U_CHEN", channel_id="C0618",
                               text="new", command="/collab")
    await slack.fake.send_envelope(envelope)
    assert await slack.fake.wait_ack(envelope["envelope_id"]) == {
        "envelope_id": envelope["envelope_id"]}  # empty ack: a modal opens instead
    [opened] = await slack.fake.wait_for("views.open")
    assert opened.body["trigger_id"] == envelope["payload"]["trigger_id"]
    assert opened.body["view"]["callback_id"] == "request.new"


async def test_socket_mode_leaves_an_envelope_unacked_while_the_database_is_down(socket_slack, monkeypatch):
    """No ack: Slack delivers the envelope again; the user is not told it was done."""
    import asyncio

    from workflows.errors import Unavailable

    slack = socket_slack
    await slack.fake.wait_connected()

    async def down(event):
        raise Unavailable("database unreachable")

    monkeypatch.setattr(slack.app.core, "handle", down)
    envelope = recorded("socket_mode_slash_command_envelope")
    envelope["payload"].update(team_id="T0618", user_id="U_CHEN", channel_id="C0618",
                               text="board", command="/collab")
    await slack.fake.send_envelope(envelope)
    with pytest.raises(asyncio.TimeoutError):
        await slack.fake.wait_ack(envelope["envelope_id"], timeout=1.5)
    assert slack.fake.calls_to("chat.postEphemeral") == [] and slack.fake.calls_to("hook") == []
