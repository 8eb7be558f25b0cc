"""Dates that have already passed: a task that became overdue while waiting for sign-off is
flagged the moment execution starts; a date typed in the past is refused with a clear answer;
a task or rework date after the request's own due date is flagged."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")
FILE = "/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率10%\n协作部门: 技术部\n截止: 8/15\n交付标准: 页面加载≤2秒"


def titled(messages, word):
    return [m for m in messages if word in (m["card"] or {}).get("title", "")]


async def test_a_task_overdue_by_the_time_it_is_signed_off_is_flagged_at_once(platform) -> None:
    await platform.say("sun", FILE)  # Mon 7/13 10:00
    await platform.click("wang", (await platform.buttons("request.approve"))[0])
    assigned = await platform.say("sun", "/协作 分工 XT-2026-001\n任务: 开发 | 负责: 技术部 | 负责人: 郑凯 | 截止: 7/14 | 标准: 页面加载≤2秒")
    assert assigned["ok"], assigned
    await platform.set_time(datetime(2026, 7, 16, 10, 0, tzinfo=SH))  # the heads sign on Thursday
    for head, dept in (("wang", "产品部"), ("li", "技术部")):
        await platform.click(head, (await platform.buttons("task.confirm", label=dept))[0])
    await platform.advance(1)
    assert titled(await platform.dms("zheng"), "已延期"), "flagged as soon as execution starts"


async def test_past_dates_are_refused_and_late_ones_flagged(platform) -> None:
    milestone = await platform.say("sun", FILE + "\n时间节点: 需求确认 7/1")
    assert milestone["ok"] is False and "需求确认" in milestone["reply"] and "已经过去" in milestone["reply"]
    await platform.say("sun", FILE)
    await platform.click("wang", (await platform.buttons("request.approve"))[0])
    past = await platform.say("sun", "/协作 分工 XT-2026-001\n任务: 开发 | 负责: 技术部 | 负责人: 郑凯 | 截止: 7/10 | 标准: 页面加载时间≤2秒")
    assert past["ok"] is False and "已经过去" in past["reply"]
    after = await platform.say("sun", "/协作 分工 XT-2026-001\n任务: 开发 | 负责: 技术部 | 负责人: 郑凯 | 截止: 8/20 | 标准: 页面加载时间≤2秒")
    assert after["ok"] and "晚于需求截止" in after["reply"]
