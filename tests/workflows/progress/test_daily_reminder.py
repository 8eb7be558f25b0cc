"""R7 16:30: one reminder per person, listing every task they still owe today — and never
after the 17:00 summary it is meant to precede."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")
SPLIT = ("/协作 分工 XT-2026-001\n任务: 页面开发 | 负责: 技术部 | 负责人: 郑凯 | 截止: 8/10 | 标准: 页面加载≤2秒\n"
         "任务: 接口联调 | 负责: 技术部 | 负责人: 郑凯 | 截止: 8/12 | 标准: 页面加载≤2秒")


async def _two_tasks_for_zheng(platform) -> None:
    await platform.say("sun", "/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率10%\n协作部门: 技术部\n"
                              "截止: 8/15\n交付标准: 页面加载≤2秒")
    await platform.click("wang", (await platform.buttons("request.approve"))[0])
    assert (await platform.say("sun", SPLIT))["ok"]
    for head, dept in (("wang", "产品部"), ("li", "技术部")):
        await platform.click(head, (await platform.buttons("task.confirm", label=dept))[0])


def reminders(messages):
    return [m for m in messages if "今日进展待同步" in (m["card"] or {}).get("title", "")]


async def test_one_reminder_lists_all_of_a_persons_tasks(platform) -> None:
    await _two_tasks_for_zheng(platform)
    await platform.set_time(datetime(2026, 7, 13, 16, 31, tzinfo=SH))
    [reminder] = reminders(await platform.dms("zheng"))
    assert "页面开发" in reminder["text"] and "接口联调" in reminder["text"]


async def test_a_late_catch_up_sends_the_summary_but_no_stale_reminder(platform) -> None:
    await _two_tasks_for_zheng(platform)
    await platform.set_time(datetime(2026, 7, 13, 17, 10, tzinfo=SH))  # 16:30 and 17:00 both due now
    assert reminders(await platform.dms("zheng")) == []
    assert any("今日进展同步" in (m["card"] or {}).get("title", "") for m in await platform.messages())
