"""R14 the 2-hour rule through the local platform, with a moved clock: an urgent issue raised at
10:00 and not acknowledged pings the responsible head at 12:00 and the VP at 14:00; an
acknowledgement stops the chain at once."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from harness import running_request

SH = ZoneInfo("Asia/Shanghai")
AT_10 = datetime(2026, 7, 14, 10, 0, tzinfo=SH)  # a Tuesday


async def urgent_issue_at_ten(platform) -> None:
    await running_request(platform)
    await platform.set_time(AT_10)
    raised = await platform.say("zheng", "/协作 问题 XT-2026-001 紧急\n描述: 支付接口超时\n责任部门: 技术部")
    assert raised["ok"], raised


def urgent(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["urgent"]]


async def test_unacknowledged_urgent_issue_escalates_to_head_at_noon_and_vp_at_two(platform):
    await urgent_issue_at_ten(platform)
    await platform.set_time(AT_10 + timedelta(hours=1, minutes=59))
    assert urgent(await platform.dms("li")) == []
    await platform.set_time(AT_10 + timedelta(hours=2))
    [ping] = urgent(await platform.dms("li"))  # 李强, head of 技术部
    assert "升级至部门负责人" in ping["text"] and ping["escalation"] == "head"
    assert any("升级至部门负责人" in m["text"] for m in await platform.messages())  # the note in the group
    assert urgent(await platform.dms("zhao")) == []
    await platform.set_time(AT_10 + timedelta(hours=4))
    [vp] = urgent(await platform.dms("zhao"))  # 赵总, the supervising VP
    assert "分管副总" in vp["text"] and vp["escalation"] == "vp"
    assert len(urgent(await platform.dms("li"))) == 1  # each step pings once


async def test_acknowledged_one_second_before_the_deadline_never_escalates(platform):
    await urgent_issue_at_ten(platform)
    await platform.set_time(AT_10 + timedelta(hours=1, minutes=59, seconds=59))
    assert (await platform.click("wu", (await platform.buttons("issue.ack"))[0]))["ok"]
    await platform.set_time(AT_10 + timedelta(hours=5))
    assert urgent(await platform.dms("li")) == [] and urgent(await platform.dms("zhao")) == []


async def test_acknowledged_between_the_steps_the_vp_is_never_pinged(platform):
    await urgent_issue_at_ten(platform)
    await platform.set_time(AT_10 + timedelta(hours=2, minutes=30))
    assert len(urgent(await platform.dms("li"))) == 1
    # the head acknowledges from the urgent ping itself
    ping = urgent(await platform.dms("li"))[0]
    ack = next(b for b in ping["card"]["buttons"] if b["action_id"] == "issue.ack")
    answer = await platform.click("li", {**ack, "message_id": ping["id"]}, chat="li")
    assert answer["ok"], answer
    await platform.set_time(AT_10 + timedelta(hours=6))
    assert urgent(await platform.dms("zhao")) == []


async def test_after_acknowledgement_one_reminder_if_no_solution_in_15_minutes(platform):
    await urgent_issue_at_ten(platform)
    assert (await platform.say("wu", "/协作 响应 XT-2026-001#1"))["ok"]
    await platform.advance(14)
    assert not [m for m in await platform.dms("wu") if "解决方案" in m["card"]["title"]]
    await platform.advance(60)
    reminders = [m for m in await platform.dms("wu") if "解决方案" in m["card"]["title"]]
    assert len(reminders) == 1
