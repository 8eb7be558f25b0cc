"""R31 action items through the local platform with a moved clock: the task's owner breaks it into
items with owner and date; the owner is reminded the morning an item is due and told with the
task's owner the next working morning if still open; items roll up into the task's progress and
the 17:00 daily summary; only the item's side may mark it done."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from harness import running_request
from storage.tables import AuditEvent

SH = ZoneInfo("Asia/Shanghai")


def titled(messages: list[dict], words: str) -> list[dict]:
    return [m for m in messages if words in m["card"]["title"]]


async def test_items_are_reminded_roll_up_into_the_daily_summary_and_are_done_by_their_side(platform):
    await running_request(platform)  # Mon 2026-07-13 10:00; task #1 页面开发 owned by 郑凯 (技术部)
    added = await platform.say("zheng", "/协作 行动项 XT-2026-001#1\n事项: 支付接口联调\n负责人: 吴磊\n截止: 7/15")
    assert added["ok"] and "A1" in added["reply"]
    assert titled(await platform.dms("wu"), "A1")  # the item's owner hears of it
    english = await platform.say("zheng", "/collab action XT-2026-001#1\nitem: load test\ndue: 7/17")
    assert english["ok"] and "A2" in english["reply"]
    refused = await platform.say("lin", "/协作 行动项 XT-2026-001#1\n事项: 插手\n截止: 7/17")
    assert refused["refused"]  # 设计部's liaison does not split 技术部's task
    past = await platform.say("zheng", "/协作 行动项 XT-2026-001#1\n事项: 补文档\n截止: 7/1")
    assert past["ok"] is False

    # 17:00 the daily summary rolls the items up under the task
    await platform.set_time(datetime(2026, 7, 13, 17, 0, tzinfo=SH))
    [summary] = [m for m in await platform.messages() if "行动项" in str(m["card"]["fields"])]
    assert "页面开发：行动项 0/2 完成" in str(summary["card"])

    # due day 09:30: the owner is reminded; not before
    await platform.set_time(datetime(2026, 7, 15, 9, 29, tzinfo=SH))
    assert titled(await platform.dms("wu"), "今天到期") == []
    await platform.set_time(datetime(2026, 7, 15, 9, 30, tzinfo=SH))
    assert titled(await platform.dms("wu"), "A1 今天到期")
    # next working morning, still open: overdue, to the item's and the task's owner
    await platform.set_time(datetime(2026, 7, 16, 9, 30, tzinfo=SH))
    assert titled(await platform.dms("wu"), "A1 已逾期") and titled(await platform.dms("zheng"), "A1 已逾期")

    [done_a2] = [b for b in await platform.buttons("item.done") if b["value"]["ai"] != 1][-1:]
    assert (await platform.click("huang", done_a2))["refused"]
    assert (await platform.click("zheng", done_a2))["ok"]
    listing = await platform.say("sun", "/协作 行动项 XT-2026-001")
    assert "页面开发：行动项 1/2 完成" in listing["card"]["text"] and "已逾期" in listing["card"]["text"]
    await platform.set_time(datetime(2026, 7, 17, 9, 30, tzinfo=SH))  # A2 done: no reminder for it
    assert titled(await platform.dms("zheng"), "A2") == []
    async with platform.app.db.uow() as uow:
        actions = [a.action for a in await uow.all(select(AuditEvent))]
    assert {"item.add", "item.due", "item.overdue", "item.done"} <= set(actions)
