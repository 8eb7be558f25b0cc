"""R7/R26 through the local platform with the real core: the 17:00 summary follows the
workspace calendar — not on the Labour Day holiday, yes on the 调休 make-up Saturday."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from harness import running_request, start_platform, stop_platform

SH = ZoneInfo("Asia/Shanghai")


async def test_the_17_00_summary_skips_labour_day_and_runs_on_the_make_up_saturday(database_url):
    url, schema = database_url
    started = await start_platform(url, schema, start=datetime(2026, 4, 28, 10, 0, tzinfo=SH))
    platform = started[0]
    try:
        await running_request(platform)
        day = date(2026, 4, 29)
        while day <= date(2026, 5, 10):
            await platform.set_time(datetime.combine(day, time(17, 5), tzinfo=SH))
            day += timedelta(days=1)
        summaries = [m["card"]["title"] for m in await platform.messages()
                     if "今日进展同步" in ((m["card"] or {}).get("title") or "")]
    finally:
        await stop_platform(*started)
    days = [re.search(r"(\d{4}-\d\d-\d\d) 17:00", title).group(1) for title in summaries]
    # 4/28 too: the jump from its 10:00 to 4/29 runs the day it skipped; 5/1–5/5 are the holiday;
    # Sat 5/9 is a working day (调休); Sun 5/10 is not
    assert days == ["2026-04-28", "2026-04-29", "2026-04-30", "2026-05-06", "2026-05-07", "2026-05-08",
                    "2026-05-09"]
