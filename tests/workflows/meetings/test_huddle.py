"""R36 the issue huddle through the local platform with a moved clock: an issue carries 所需支持;
a 15-minute huddle within the next hour invites the responsible and affected heads, pings them
when it starts, asks the caller for the outcome 15 minutes later, and sends the outcome."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from harness import running_request

SH = ZoneInfo("Asia/Shanghai")


def titled(messages: list[dict], words: str) -> list[dict]:
    return [m for m in messages if words in m["card"]["title"]]


async def test_a_huddle_invites_the_heads_pings_at_the_start_and_records_its_outcome(platform):
    await running_request(platform)  # Mon 2026-07-13 10:00
    await platform.set_time(datetime(2026, 7, 13, 12, 5, tzinfo=SH))  # after the 12:00 digest
    raised = await platform.say("lin", "/协作 问题 XT-2026-001 紧急 接口超时\n责任部门: 技术部\n涉及部门: 设计部\n"
                                       "所需支持: 运维协助扩容")
    assert raised["ok"]
    [issue] = titled(await platform.messages(), "XT-2026-001#1")
    assert "运维协助扩容" in str(issue["card"])  # 所需支持 on the issue card
    assert (await platform.say("sun", "/协作 碰头会 XT-2026-001#1\n时间: 14:30"))["ok"] is False  # beyond the hour
    assert (await platform.say("guo", "/协作 碰头会 XT-2026-001#1"))["refused"]  # 客服部 is not involved
    called = await platform.say("sun", "/collab huddle XT-2026-001#1\ntime: 12:30")
    assert called["ok"] and "12:30" in called["reply"]
    for head in ("li", "huang"):  # responsible and affected heads are invited
        [invite] = titled(await platform.dms(head), "问题碰头会：")
        assert "运维协助扩容" in str(invite["card"])
    assert titled(await platform.dms("wang"), "问题碰头会：") == []

    await platform.set_time(datetime(2026, 7, 13, 12, 30, tzinfo=SH))
    assert titled(await platform.dms("li"), "碰头会现在开始")
    await platform.set_time(datetime(2026, 7, 13, 12, 45, tzinfo=SH))
    assert titled(await platform.dms("sun"), "结论待记录")  # the caller is asked for the outcome
    recorded = await platform.say("li", "/协作 碰头会 XT-2026-001#1 结论: 技术部今晚扩容，设计部配合回归")
    assert recorded["ok"]
    [outcome] = titled(await platform.dms("huang"), "碰头会结论")
    assert "今晚扩容" in str(outcome["card"])
