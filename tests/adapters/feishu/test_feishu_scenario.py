"""The guidelines' product-page request end to end in a Feishu tenant, in Chinese: 产品部
initiates, 技术部 + 设计部 collaborate, due 7/20, 8/10, 8/15 — every message and click arrives
as Feishu sends it (encrypted, signed), the real core decides, the real delivery worker sends
the cards to the fake Open API, and clicks are answered inline with a toast and the new card."""
from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from feishu_fakes import card_action, message_event
from feishu_world import GROUP, FeishuWorld, card_text, start_feishu_app, stop_feishu_app
from storage.tables import AuditEvent, CollaborationRequest

START = datetime(2026, 7, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
HEADS = {"产品部": "wang", "技术部": "li", "设计部": "huang"}


@pytest.fixture
async def world(database_url, monkeypatch):
    started = await start_feishu_app(*database_url, start=START, monkeypatch=monkeypatch)
    yield started[0]
    await stop_feishu_app(*started)


async def confirm_all(world: FeishuWorld, action_id: str) -> None:
    for button in world.buttons(action_id):
        dept = next(d for d in HEADS if d in button["label"])
        answer = await world.click(HEADS[dept], button)
        assert answer["toast"]["type"] == "success", answer


async def file_by_form(world: FeishuWorld) -> dict:
    await world.say("sun", "/协作 新建")
    [form] = world.last
    assert form["type"] == "interactive" and form["content"]["body"]["elements"][0]["tag"] == "form"
    return await world.submit("sun", form, {
        "title": "新品详情页改版", "goal": "提升详情页转化率10%", "depts": ["技术部", "设计部"],
        "due": "2026-08-15 +0800", "standard": "页面加载时间≤2秒；视觉还原度100%",
        "milestones": "需求确认 7/20；开发完成 8/10；正式上线 8/15",
        "content": "技术部=开发页面与接口；设计部=视觉稿"})


async def test_product_page_request_from_filing_to_archive_in_feishu(world):
    db = world.app.db
    filed = await file_by_form(world)
    assert filed["toast"]["type"] == "success" and "XT-2026-001" in filed["toast"]["content"]
    [request_card] = [m for m in world.fake.to(GROUP) if m["type"] == "interactive"]
    assert request_card["content"]["header"]["title"]["content"] == "[XT-2026-001] 新品详情页改版"
    assert "待初审" in world.chat_text()[0] and "技术部、设计部" in world.chat_text()[0]

    # R4: only the head of 产品部 reviews; the refusal is a private error toast, nothing changes
    approve = world.buttons("request.approve")[0]
    refused = await world.click("li", approve)
    assert refused["toast"]["type"] == "error" and "产品部" in refused["toast"]["content"]
    assert "card" not in refused and "待初审" in world.chat_text()[0]
    approved = await world.click("wang", approve, event_id="ev-approve")
    assert approved["toast"]["type"] == "success"
    assert "已通过初审" in world.chat_text()[0]  # the same message, swapped in place
    again = await world.click("wang", approve, event_id="ev-approve")  # Feishu re-delivers
    assert again["toast"]["type"] == "info"

    # R5 the split (a multi-line message); R6 every involved head confirms for their own dept
    await world.say("sun", """/协作 分工 XT-2026-001
任务: 页面开发 | 负责: 技术部 | 负责人: 郑凯 | 开始: 7/21 | 截止: 8/10 | 配合: 设计部 | 标准: 页面加载时间≤2秒
任务: 视觉设计 | 负责: 设计部 | 负责人: 林琳 | 截止: 7/20 | 标准: 视觉还原度100%""")
    confirm = world.buttons("task.confirm")
    assert {b["label"] for b in confirm} == {"产品部 确认", "技术部 确认", "设计部 确认"}
    wrong = await world.click("huang", next(b for b in confirm if "技术部" in b["label"]))
    assert wrong["toast"]["type"] == "error"
    await confirm_all(world, "task.confirm")
    assert any("RACI" in text and "黄蕾" in text for text in world.chat_text())
    assert "执行中" in world.chat_text()[0]

    # R7 daily post, R12 issue, R14 the responsible department acknowledges
    await world.say("zheng", "/协作 日报 XT-2026-001\n今日: 首页框架完成\n明日: 接口联调")
    issue = await world.say("lin", "/协作 问题 XT-2026-001\n描述: 接口文档缺失\n严重程度: 高\n责任部门: 技术部")
    assert "XT-2026-001#1" in issue
    ack = world.buttons("issue.ack")[0]
    assert (await world.click("lin", ack))["toast"]["type"] == "error"  # 设计部 is not responsible
    assert (await world.click("wu", ack))["toast"]["type"] == "success"
    await world.say("wu", "/协作 解决 XT-2026-001#1 今天补齐接口文档")

    # R17 a plan change takes effect after every head; the old plan stays visible
    await world.say("zhou", "/协作 变更 XT-2026-001\n原因: 视觉稿返修\n任务截止: 2=7/24")
    await confirm_all(world, "change.approve")
    change = next(t for t in world.chat_text() if "计划调整" in t.splitlines()[0])
    assert "已生效" in change and "原计划" in change and "2026-07-20" in change

    # R19 delivery with a self-check; R20 failed acceptance → rework → pass
    await world.say("zheng", "/协作 交付 XT-2026-001\n交付物: 详情页上线包\n自检: 页面加载时间≤2秒=是；视觉还原度100%=否")
    fail = world.buttons("acceptance.fail")[0]
    assert (await world.click("zheng", fail))["toast"]["type"] == "error"
    await world.click("sun", fail)  # 不通过 asks why and by when, in a form under the card
    form = world.fake.replies(fail["message_id"])[-1]
    failed = await world.submit("sun", form, {"reason": "视觉还原度不足", "rework_due": "2026-08-14 +0800"})
    assert failed["toast"]["type"] == "success" and "返工" in failed["toast"]["content"], failed
    await world.say("zheng", "/协作 交付 XT-2026-001\n交付物: 上线包v2\n自检: 页面加载时间≤2秒=是；视觉还原度100%=是")
    passed = await world.click("sun", world.buttons("acceptance.pass")[-1])
    assert passed["toast"]["type"] == "success"

    # R21 both sides confirm completion; R22 the archive, named by convention
    await confirm_all(world, "completion.confirm")
    archived = await world.say("wang", "/协作 归档 XT-2026-001")
    assert "2026年Q3新品详情页改版协作计划_产品部" in archived

    async with db.uow() as uow:
        request = await uow.first(select(CollaborationRequest))
        assert request.state == "archived" and request.conversation == GROUP
        actions = [a.action for a in await uow.all(select(AuditEvent))]
    for action in ("request.file", "request.approve", "request.assign", "task.confirm",
                   "request.execute", "progress.post", "issue.raise", "issue.ack", "issue.resolve",
                   "change.propose", "change.apply", "delivery.submit", "acceptance.fail",
                   "acceptance.pass", "completion.confirm", "request.complete", "request.archive"):
        assert action in actions, action
    assert actions.count("request.approve") == 1  # the re-delivered click had no effect
    assert actions.count("click.refused") == 4  # R25: every refusal leaves its audit row


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
