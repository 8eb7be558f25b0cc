"""Timer sweep cost (issue 3 benchmark): the sweep must be O(due), not O(open).

For 1,000 and 100,000 open requests/tasks/issues — each with a pending R14 timer due a week
ahead — measure, in one run: an idle sweep (nothing due), and claiming and firing 1,000 due
R14 escalations with the real core (audit row, urgent DM, group note, card update, VP timer).
Run: `python bench/bench_timers.py` (PostgreSQL too when TEST_DATABASE_URL is set).
"""
from __future__ import annotations

import asyncio
import statistics
import sys
from contextlib import AsyncExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import backends, demo_org, fresh_db, seed_open_work, timed  # noqa: E402
from bot.metrics import Metrics  # noqa: E402
from bot.timer_sweep import TimerSweep  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.tables import Timer  # noqa: E402
from workflows.clock import VirtualClock  # noqa: E402

NOW = datetime(2026, 7, 14, 4, 0, tzinfo=timezone.utc)  # Tue 12:00 Asia/Shanghai
SIZES = (1_000, 100_000)
DUE = 1_000


class NoopCore:
    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock

    async def fire_timer(self, _uow: object, timer: Timer) -> None:
        timer.state, timer.fired_at = "fired", self.clock.now()


async def add_due(db: Database, count: int) -> None:
    async with db.uow() as uow:
        for n in range(count):
            uow.add(Timer(workspace_id="local:demo", kind="bench.noop", subject=f"noop:{n}",
                          due_at=NOW - timedelta(seconds=1), created_at=NOW))


async def prepared(stack: AsyncExitStack, backend: str, open_count: int) -> TimerSweep:
    db = await stack.enter_async_context(fresh_db(backend))
    clock = VirtualClock(NOW)
    core, workspace_id = await demo_org(db, clock)
    await seed_open_work(db, workspace_id=workspace_id, n=open_count, now=NOW, due_issues=DUE)
    return TimerSweep(db=db, clock=clock, core=core, metrics=Metrics(), batch_size=50)


async def compare(backend: str) -> dict[int, dict[str, float]]:
    """Both sizes side by side; measurements alternate between them, so the load of a shared
    machine hits both alike and the ratio stays honest."""
    async with AsyncExitStack() as stack:
        sweeps = {n: await prepared(stack, backend, n) for n in SIZES}
        fire: dict[int, float] = {}
        bare: dict[int, float] = {}
        for n in SIZES:
            fire[n], fired = await timed(sweeps[n].run)
            assert fired == DUE, fired
        for n in SIZES:  # the sweep's own cost: the same claim, a handler that does nothing
            sweep = sweeps[n]
            await add_due(sweep.db, DUE)
            noop = TimerSweep(db=sweep.db, clock=sweep.clock, core=NoopCore(sweep.clock),
                              metrics=Metrics(), batch_size=50)
            bare[n], fired = await timed(noop.run)
            assert fired == DUE, fired
        idle: dict[int, list[float]] = {n: [] for n in SIZES}
        for _ in range(100):
            for n in SIZES:
                idle[n].append((await timed(sweeps[n].run))[0])
        return {n: {"idle_ms": statistics.median(idle[n]) * 1000, "fire_s": fire[n],
                    "bare_s": bare[n]} for n in SIZES}


async def main() -> None:
    print("| backend | open work | idle sweep (median) | claim + fire 1,000 due R14 timers "
          "| claim + fire 1,000 (no-op handler) |")
    print("|---|---|---|---|---|")
    for backend in backends():
        results = await compare(backend)
        for n, r in results.items():
            print(f"| {backend} | {n:,} | {r['idle_ms']:.2f} ms | {r['fire_s']:.2f} s "
                  f"({DUE / r['fire_s']:.0f} timers/s) | {r['bare_s']:.2f} s "
                  f"({DUE / r['bare_s']:.0f} timers/s) |")
        small, big = results[SIZES[0]], results[SIZES[1]]
        print(f"| {backend} | ratio 100k / 1k | {big['idle_ms'] / small['idle_ms']:.2f}× | "
              f"{big['fire_s'] / small['fire_s']:.2f}× | {big['bare_s'] / small['bare_s']:.2f}× |")


if __name__ == "__main__":
    asyncio.run(main())
