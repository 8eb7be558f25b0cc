"""Three scheduler PROCESSES on one PostgreSQL database (DESIGN rule 4): 1,000 timers and a day
and a half of cron ticks — every timer fires exactly once, every tick runs exactly once."""
from __future__ import annotations

import os
import subprocess
import sys
import time as wall
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from storage.db import Database
from storage.tables import AuditEvent, JobRun, Timer, Workspace
from workflows.calendar import calendar_from_settings
from workflows.policy import Policy
from workflows.kernel.ticks import catch_up_since, due_ticks, parse_horizon

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
ROOT = Path(__file__).resolve().parents[2]
SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 6, 12, 0, 0, tzinfo=SH)  # a Friday: weekly reports too
END = START + timedelta(hours=32)
WORKSPACES = [("local:a", "Asia/Shanghai", "CN"), ("local:b", "Asia/Shanghai", "CN"),
              ("local:c", "Asia/Shanghai", "CN"), ("slack:T1", "America/New_York", "US")]


def expected_ticks() -> Counter:
    """What the window holds, from the pure tick rules (catch-up at start, then the run)."""
    wanted: Counter = Counter()
    for ws_id, tz, country in WORKSPACES:
        calendar = calendar_from_settings(country=country, tz=tz, settings={})
        since = catch_up_since(calendar=calendar, now=START.astimezone(timezone.utc),
                               horizon=parse_horizon("same_working_day"),
                               slack=timedelta(minutes=1))
        for tick in due_ticks(calendar=calendar, policy=Policy(), since=since, until=END):
            wanted[(ws_id, tick.job, tick.day.isoformat())] += 1
    return wanted


@pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
async def test_three_scheduler_processes_fire_every_timer_and_tick_exactly_once(database_url):
    url, schema = database_url
    db = Database(url, schema=schema)
    await db.create_all()
    async with db.uow() as uow:
        for ws_id, tz, country in WORKSPACES:
            uow.add(Workspace(id=ws_id, platform=ws_id.split(":")[0], external_id=ws_id,
                              timezone=tz, country=country))
        for n in range(1000):
            uow.add(Timer(workspace_id="local:a", kind="task.due", subject=f"task:{n}",
                          due_at=START + timedelta(seconds=86.4 * n), created_at=START))

    go_at = wall.time() + 3.0  # all three start sweeping at the same moment
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    procs = [subprocess.Popen([sys.executable, str(ROOT / "tests" / "replica_proc.py"), url,
                               schema or "", f"replica-{n}", START.isoformat(), END.isoformat(),
                               "300", str(go_at)], env=env, cwd=ROOT)
             for n in range(3)]
    for proc in procs:
        assert proc.wait(timeout=300) == 0

    async with db.uow() as uow:
        audit = await uow.all(select(AuditEvent))
        timers = await uow.all(select(Timer))
        runs = await uow.all(select(JobRun))
    await db.dispose()

    fired = Counter(e.subject for e in audit if e.action == "timer.fired")
    assert len(fired) == 1000 and set(fired.values()) == {1}
    assert {t.state for t in timers} == {"fired"}
    ticks = Counter((e.workspace_id, e.action.removeprefix("tick:"), e.subject)
                    for e in audit if e.action.startswith("tick:"))
    wanted = expected_ticks()
    assert ticks == wanted and set(ticks.values()) == {1}
    assert len(runs) == len(wanted)
    assert sum(1 for ws, job, _ in wanted if job == "weekly.report") == 4  # one per workspace
    by = Counter(e.detail["by"] for e in audit if e.action == "timer.fired")
    print("timers fired per replica:", dict(by))
