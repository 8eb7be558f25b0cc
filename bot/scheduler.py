"""The scheduler (issue 3): APScheduler drives two sweeps; the database is the truth.

An `AsyncIOScheduler` on the server's loop runs two interval jobs — the timer sweep
(`TIMER_SWEEP_SECONDS`, default 1 s; `bot/timer_sweep.py`) and the cron-tick sweep
(`TICK_SWEEP_SECONDS`; `bot/tick_sweep.py`) — both at once on start-up, which is how missed
work is caught up. APScheduler keeps nothing but these two job definitions in memory (its job
stores must not be shared between processes); which timers and ticks are due, claimed and done
lives in the `timer` and `job_run` rows, so any number of replicas can run this.

"Due" is judged by the injectable clock: `await kick()` lets the local platform's virtual
clock endpoint (and tests) sweep right after moving time instead of waiting for an interval.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.health import DatabaseHealth
from bot.metrics import Metrics
from bot.tick_sweep import TickSweep, default_calendar
from bot.time_settings import TimeSettings
from bot.timer_sweep import TimerSweep
from storage.db import Database, is_unavailable
from storage.tables import Workspace
from workflows.clock import Clock, VirtualClock
from workflows.kernel.ticks import TickCalendar

log = logging.getLogger("collab.scheduler")


class _Sweep:
    """One sweep that never runs twice at once; a request while it runs makes it run again."""

    def __init__(self, name: str, run: Callable[[], Awaitable[int]],
                 on_work: Callable[[], None] | None, health: DatabaseHealth) -> None:
        self.name = name
        self.health = health
        self.last_run = 0.0  # monotonic time the last background run ended (readiness)
        self._run = run
        self._on_work = on_work
        self.lock = asyncio.Lock()
        self.again = False

    async def __call__(self) -> int:
        async with self.lock:
            return await self._once()

    async def background(self) -> None:
        """The APScheduler job: skip (but re-run afterwards) if a sweep is under way."""
        if self.lock.locked():
            self.again = True
            return
        async with self.lock:
            while True:
                self.again = False
                try:
                    await self._once()
                    self.health.success()
                except Exception as exc:
                    if is_unavailable(exc):  # one line per outage, not a traceback per sweep
                        self.health.failure(exc, where=f"sweep:{self.name}")
                    else:
                        log.exception("sweep failed", extra={"sweep": self.name})
                finally:
                    self.last_run = time.monotonic()
                if not self.again:
                    return

    async def _once(self) -> int:
        done = await self._run()
        if done and self._on_work is not None:
            self._on_work()  # new outbox rows: wake the delivery worker
        return done


class Scheduler:
    def __init__(self, *, db: Database, clock: Clock, core: Any,
                 settings: TimeSettings | None = None, metrics: Metrics | None = None,
                 on_work: Callable[[], None] | None = None,
                 calendar_for: Callable[[Workspace], TickCalendar] = default_calendar,
                 health: DatabaseHealth | None = None) -> None:
        """`core` has `fire_timer(uow, timer)` and `run_tick(uow, job=, workspace_id=, day=)`;
        `on_work` (e.g. `DeliveryWorker.kick`) is called after a sweep that did something."""
        self.settings = settings or TimeSettings()
        self.metrics = metrics or Metrics()
        s = self.settings
        self.timers = TimerSweep(db=db, clock=clock, core=core, metrics=self.metrics,
                                 batch_size=s.timer_batch_size, max_attempts=s.timer_max_attempts,
                                 retry_base_seconds=s.timer_retry_base_seconds)
        # the regular sweep's window always reaches a few intervals back, whatever the horizon
        slack = timedelta(seconds=max(60.0, 4 * s.tick_sweep_seconds))
        self.ticks = TickSweep(db=db, clock=clock, core=core, metrics=self.metrics,
                               horizon=s.missed_tick_horizon, slack=slack,
                               calendar_for=calendar_for,
                               retry_base_seconds=s.timer_retry_base_seconds,
                               follow_clock=isinstance(clock, VirtualClock),
                               chunk_size=s.tick_chunk_size, chunk_seconds=s.tick_chunk_seconds)
        self.health = health or DatabaseHealth()
        self._timer_sweep = _Sweep("timers", self.timers.run, on_work, self.health)
        self._tick_sweep = _Sweep("ticks", self.ticks.run, on_work, self.health)
        self._aps: AsyncIOScheduler | None = None

    @property
    def db(self) -> Database:
        return self.timers.db

    @db.setter
    def db(self, db: Database) -> None:
        self.timers.db = self.ticks.db = db

    @property
    def alive(self) -> bool:
        """Readiness: APScheduler runs, and the timer sweep is not stuck (it runs every
        `TIMER_SWEEP_SECONDS`; a sweep still running counts as alive)."""
        if self._aps is None or not self._aps.running:
            return False
        sweep = self._timer_sweep
        horizon = max(30.0, 10 * self.settings.timer_sweep_seconds)
        return sweep.lock.locked() or time.monotonic() - sweep.last_run < horizon

    async def run_due(self) -> tuple[int, int]:
        """Sweep now and wait for it: (timers fired, ticks run). Ticks first, then timers, so
        a moved clock sees the day's rhythm before the deadlines that follow it."""
        ticks = await self._tick_sweep()
        timers = await self._timer_sweep()
        return timers, ticks

    async def kick(self) -> tuple[int, int]:
        """The clock moved (the local platform's clock endpoint): sweep now, return when done,
        so the caller can then kick delivery and the person sees the result at once."""
        return await self.run_due()

    async def start(self) -> None:
        """Start both interval jobs on the running loop; both run at once (catch-up)."""
        if self._aps is not None:
            return
        s = self.settings
        now = datetime.now(timezone.utc)  # APScheduler's own timing: real time, by design
        aps = AsyncIOScheduler(timezone=timezone.utc)
        aps.add_job(self._timer_sweep.background, "interval", seconds=s.timer_sweep_seconds,
                    id="timer-sweep", next_run_time=now, max_instances=2, coalesce=True,
                    misfire_grace_time=None)
        aps.add_job(self._tick_sweep.background, "interval", seconds=s.tick_sweep_seconds,
                    id="tick-sweep", next_run_time=now, max_instances=2, coalesce=True,
                    misfire_grace_time=None)
        aps.start()
        self._aps = aps
        self._timer_sweep.last_run = time.monotonic()
        log.info("scheduler started", extra={"timer_sweep_s": s.timer_sweep_seconds,
                                             "tick_sweep_s": s.tick_sweep_seconds})

    async def stop(self, *, grace: float = 10.0) -> None:
        """No new sweeps; let running ones commit (never cut a healthy transaction short), then
        stop — within `grace` s: a sweep stuck on an unreachable database is left behind (its
        transaction never committed, so nothing is half done) rather than hanging shutdown."""
        if self._aps is None:
            return
        aps, self._aps = self._aps, None
        aps.pause()

        async def quiet() -> None:
            async with self._timer_sweep.lock, self._tick_sweep.lock:
                aps.shutdown(wait=False)

        try:
            async with asyncio.timeout(grace):
                await quiet()
        except TimeoutError:
            log.warning("scheduler stopped with a sweep still running", extra={"grace_s": grace})
            aps.shutdown(wait=False)
        await asyncio.sleep(0)  # APScheduler shuts down via call_soon
        log.info("scheduler stopped")
