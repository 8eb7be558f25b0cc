"""The demo's virtual clock: a jump runs every working day's ticks it skipped, in order (a
real restart keeps only today's catch-up horizon)."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from harness import running_request

SH = ZoneInfo("Asia/Shanghai")


async def test_a_jump_over_a_day_runs_that_days_digest_and_summary(platform) -> None:
    await running_request(platform)  # Mon 2026-07-13 10:00
    await platform.say("lin", "/协作 问题 XT-2026-001\n描述: 接口文档缺失\n责任部门: 技术部")
    await platform.set_time(datetime(2026, 7, 14, 18, 1, tzinfo=SH))  # Mon 10:00 → Tue 18:01
    titles = [(m["card"] or {}).get("title", "") for m in await platform.messages()]
    summaries = [re.search(r"\d{4}-\d\d-\d\d", t).group() for t in titles if "今日进展同步" in t]
    digests = [t for t in titles if "问题汇总" in t]
    assert summaries == ["2026-07-13", "2026-07-14"], titles
    assert len(digests) == 2, titles
