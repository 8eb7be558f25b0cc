"""One scheduler replica in its own process (its own engine), for the multi-replica test and
bench: `python replica_proc.py URL SCHEMA NAME START_ISO END_ISO STEP_S GO_AT_EPOCH`.

It waits for GO_AT (so all replicas really run at once), then moves its own virtual clock from
START to END in STEP_S steps and sweeps after each step.
"""
from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime, timedelta

from bot.metrics import Metrics
from bot.scheduler import Scheduler
from bot.time_settings import TimeSettings
from fake_core import RecordingCore
from storage.db import Database
from workflows.clock import VirtualClock


async def main(url: str, schema: str, name: str, start: str, end: str, step: str,
               go_at: str) -> None:
    db = Database(url, schema=schema or None)
    clock = VirtualClock(datetime.fromisoformat(start))
    until = datetime.fromisoformat(end)
    scheduler = Scheduler(db=db, clock=clock, core=RecordingCore(clock=clock, name=name),
                          settings=TimeSettings(timer_batch_size=20), metrics=Metrics())
    while time.time() < float(go_at):
        await asyncio.sleep(0.005)
    while True:
        await scheduler.run_due()
        if clock.now() >= until:
            break
        clock.set(min(until, clock.now() + timedelta(seconds=float(step))))
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:8]))
