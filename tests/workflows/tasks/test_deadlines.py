"""Every deadline SPEC names, fired by the scheduler through the local platform as the clock
moves: R6 confirmation reminders, R9 overdue → 延期, R10 the 2-working-day risk check (across a
holiday with 调休), R11 more than 3 days late, R16 the initiator's 24 hours, R18 the 3-working-day
revision, R20 the rework deadline; and a restart after a missed 2-hour deadline."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from harness import running_request, start_platform, stop_platform

SH = ZoneInfo("Asia/Shanghai")


def titled(messages: list[dict], words: str) -> list[dict]:
    return [m for m in messages if words in m["card"]["title"]]


async def test_heads_who_have_not_confirmed_are_reminded_every_24_hours(platform):
    await platform.say("sun", "/协作 新建\n名称: 改版\n背景与目标: 转化\n协作部门: 技术部、设计部\n截止: 8/15\n交付标准: 加载≤2秒")
    await platform.click("wang", (await platform.buttons("request.approve"))[0])
    await platform.say("sun", "/协作 分工 XT-2026-001\n任务: 开发 | 负责: 技术部 | 负责人: 郑凯 | 截止: 8/10 | 标准: 页面加载时间≤2秒")
    await platform.click("wang", (await platform.buttons("task.confirm", label="产品部"))[0])
    await platform.advance(24 * 60)
    [reminder] = titled(await platform.dms("li"), "待确认")
    assert "技术部" in reminder["text"] and "设计部" in reminder["text"] and "产品部" not in reminder["text"]
    assert titled(await platform.dms("wang"), "待确认") == []  # 产品部 already signed
    await platform.advance(24 * 60)
    assert len(titled(await platform.dms("li"), "待确认")) == 2


async def test_the_risk_check_counts_working_days_across_national_day_and_overdue_and_late_follow(platform):
    await platform.set_time(datetime(2026, 9, 21, 9, 0, tzinfo=SH))
    await platform.say("sun", "/协作 新建\n名称: 国庆活动页\n背景与目标: 转化\n协作部门: 技术部\n截止: 10/20\n交付标准: 加载≤2秒")
    await platform.click("wang", (await platform.buttons("request.approve"))[0])
    await platform.say("sun", "/协作 分工 XT-2026-001\n任务: 开发 | 负责: 技术部 | 负责人: 郑凯 | 截止: 10/9 | 标准: 页面加载时间≤2秒")
    for head, dept in (("wang", "产品部"), ("li", "技术部")):
        await platform.click(head, (await platform.buttons("task.confirm", label=dept))[0])
    # due Fri 10/9; Oct 1–7 are holidays, so 2 working days before is Wed 9/30 (not 10/7)
    await platform.set_time(datetime(2026, 9, 30, 9, 59, tzinfo=SH))
    assert titled(await platform.dms("zheng"), "风险预警") == []
    await platform.set_time(datetime(2026, 9, 30, 10, 0, tzinfo=SH))
    [check] = titled(await platform.dms("zheng"), "风险预警")
    late = next(b for b in check["card"]["buttons"] if b["action_id"] == "task.will_be_late")
    assert (await platform.click("zheng", {**late, "message_id": check["id"]}, chat="zheng"))["ok"]
    assert titled(await platform.dms("sun"), "将延期")  # R10: the initiator is told
    # R9: due means the end of Fri 10/9's working day; no midnight ping — the next working day
    # (Sat 10/10, a 调休 make-up day) at 09:00 it is 延期, owner / initiator / lead head told
    await platform.set_time(datetime(2026, 10, 10, 0, 0, tzinfo=SH))
    assert titled(await platform.dms("li"), "已延期") == []
    await platform.set_time(datetime(2026, 10, 10, 9, 0, tzinfo=SH))
    assert titled(await platform.dms("li"), "已延期")
    board = await platform.say("sun", "/协作 看板 XT-2026-001")
    assert "延期" in board["card"]["text"]
    # R11: more than 3 working days late (10/10, 10/12, 10/13) → on 10/14 risk high, re-plan asked
    await platform.set_time(datetime(2026, 10, 13, 9, 0, tzinfo=SH))
    assert titled(await platform.dms("wang"), "延期超过3天") == []
    await platform.set_time(datetime(2026, 10, 14, 9, 0, tzinfo=SH))
    assert titled(await platform.dms("wang"), "延期超过3天")
    assert "风险 高" in (await platform.say("sun", "/协作 看板 XT-2026-001"))["card"]["text"]


async def test_the_initiator_owes_an_answer_in_24_hours_then_the_head_is_told(platform):
    await running_request(platform)
    assert (await platform.say("wu", "/协作 反馈 XT-2026-001 接口字段需要确认"))["ok"]
    await platform.advance(23 * 60 + 59)
    assert titled(await platform.dms("sun"), "待答复") == []
    await platform.advance(1)
    assert titled(await platform.dms("sun"), "待答复")
    await platform.advance(4 * 60)
    assert titled(await platform.dms("wang"), "仍未答复")  # the initiating department's head


async def test_an_answer_stops_the_24_hour_clock(platform):
    await running_request(platform)
    await platform.say("wu", "/协作 反馈 XT-2026-001 接口字段需要确认")
    assert (await platform.say("sun", "/协作 答复 XT-2026-001 字段以文档v2为准"))["ok"]
    await platform.advance(48 * 60)
    assert titled(await platform.dms("sun"), "待答复") == [] and titled(await platform.dms("wang"), "仍未答复") == []


async def test_plan_feedback_must_be_revised_within_3_working_days(platform):
    await running_request(platform)  # Mon 2026-07-13
    assert (await platform.say("huang", "/协作 反馈 XT-2026-001 方案 视觉规范需要补充"))["ok"]
    await platform.set_time(datetime(2026, 7, 16, 17, 59, tzinfo=SH))  # Thu: still in time
    assert titled(await platform.dms("sun"), "修订超期") == []
    await platform.set_time(datetime(2026, 7, 16, 18, 0, tzinfo=SH))
    assert titled(await platform.dms("sun"), "修订超期")


async def test_a_dispute_goes_to_both_heads_then_the_vp(platform):
    await running_request(platform)
    assert (await platform.say("wu", "/协作 争议 XT-2026-001 接口由谁出文档\n责任部门: 产品部"))["ok"]
    assert titled(await platform.dms("li"), "争议") and titled(await platform.dms("wang"), "争议")
    await platform.advance(24 * 60)
    [vp] = [m for m in await platform.dms("zhao") if m["urgent"]]
    settle = next(b for b in vp["card"]["buttons"] if b["action_id"] == "dispute.settle")
    assert (await platform.click("wu", {**settle, "message_id": vp["id"]}, chat="wu"))["refused"]
    form = (await platform.click("zhao", {**settle, "message_id": vp["id"]}, chat="zhao"))["form"]["form"]
    decided = await platform.submit("zhao", form["form_id"], {"reason": "技术部出接口文档，产品部评审"},
                                    context=form["value"], chat="zhao")
    assert decided["ok"], decided
    card = next(m for m in await platform.messages() if "争议" in m["card"]["title"])
    assert "技术部出接口文档，产品部评审" in card["text"] and "赵总" in card["text"]


async def test_a_two_head_dispute_is_settled_when_both_heads_agree(platform):
    await running_request(platform)
    assert (await platform.say("wu", "/协作 争议 XT-2026-001 接口由谁出文档\n责任部门: 产品部"))["ok"]
    settle = (await platform.buttons("dispute.settle"))[0]
    form = (await platform.click("li", settle))["form"]["form"]
    first = await platform.submit("li", form["form_id"], {"reason": "技术部出文档"}, context=form["value"])
    assert first["ok"] and "产品部" in first["reply"]
    card = next(m for m in await platform.messages() if "争议" in m["card"]["title"])
    assert "技术部出文档" in card["text"] and card["card"]["buttons"]  # still open for 产品部's head
    form = (await platform.click("wang", (await platform.buttons("dispute.settle"))[0]))["form"]["form"]
    assert form["inputs"][0]["initial"] == "技术部出文档"
    assert (await platform.submit("wang", form["form_id"], {"reason": "同意"}, context=form["value"]))["ok"]
    card = next(m for m in await platform.messages() if "争议" in m["card"]["title"])
    assert card["card"]["buttons"] == [] and "技术部出文档 · 王芳" in card["text"]


async def test_a_missed_rework_deadline_is_announced(platform):
    await running_request(platform)
    await platform.say("zheng", "/协作 交付 XT-2026-001\n交付物: 包\n自检: 页面加载时间≤2秒=是")
    assert (await platform.say("sun", "/协作 验收 XT-2026-001 返工 缺少接口文档\n返工截止: 7/15"))["ok"]
    await platform.set_time(datetime(2026, 7, 16, 0, 0, tzinfo=SH))
    assert titled(await platform.messages(), "返工已超期") == []  # due means the end of 7/15's work
    await platform.set_time(datetime(2026, 7, 16, 9, 0, tzinfo=SH))
    assert titled(await platform.messages(), "返工已超期")


async def test_a_restart_after_a_missed_2_hour_deadline_escalates_once_on_start_up(database_url):
    url, schema = database_url
    at_ten = datetime(2026, 7, 14, 10, 0, tzinfo=SH)
    first = await start_platform(url, schema, start=at_ten - timedelta(days=1))
    await running_request(first[0])
    await first[0].set_time(at_ten)
    assert (await first[0].say("zheng", "/协作 问题 XT-2026-001 紧急\n描述: 支付超时\n责任部门: 技术部"))["ok"]
    await stop_platform(*first)  # down from 10:00 …

    second = await start_platform(url, schema, start=at_ten + timedelta(hours=3), import_org=False)
    try:
        pings = [m for m in await second[0].dms("li") if m["urgent"]]
        assert len(pings) == 1  # … back at 13:00: the head step runs once, the VP's is not due yet
        assert [m for m in await second[0].dms("zhao") if m["urgent"]] == []
        await second[0].set_time(at_ten + timedelta(hours=4))
        assert len([m for m in await second[0].dms("zhao") if m["urgent"]]) == 1
        assert len([m for m in await second[0].dms("li") if m["urgent"]]) == 1
    finally:
        await stop_platform(*second)
