"""The initiator's daily board to the group (issue 11): after the 17:00 summary, each
initiator's open requests — status, risk, delayed tasks, open issues — once a working day, and
only when something changed."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from harness import running_request

SH = ZoneInfo("Asia/Shanghai")


def boards(messages: list[dict]) -> list[dict]:
    return [m for m in messages if "协作看板" in m["card"]["title"]]


async def test_the_board_is_posted_after_17_00_once_a_day_and_only_when_something_changed(platform):
    await running_request(platform)  # Mon 2026-07-13 10:00, sun's XT-2026-001 in progress
    await platform.set_time(datetime(2026, 7, 13, 16, 59, tzinfo=SH))
    assert boards(await platform.messages()) == []
    await platform.set_time(datetime(2026, 7, 13, 17, 0, tzinfo=SH))
    [first] = boards(await platform.messages())
    assert "孙浩" in first["card"]["title"] and "XT-2026-001" in str(first["card"])
    assert "未解决问题 0" in str(first["card"])
    await platform.set_time(datetime(2026, 7, 14, 17, 0, tzinfo=SH))  # nothing changed: no second board
    assert len(boards(await platform.messages())) == 1
    assert (await platform.say("lin", "/协作 问题 XT-2026-001 接口超时\n责任部门: 技术部"))["ok"]
    await platform.set_time(datetime(2026, 7, 15, 17, 0, tzinfo=SH))
    latest = boards(await platform.messages())
    assert len(latest) == 2 and "未解决问题 1" in str(latest[-1]["card"])
    await platform.set_time(datetime(2026, 7, 18, 17, 0, tzinfo=SH))  # Saturday: no summary, no board
    assert len(boards(await platform.messages())) == 2
