"""The cron-tick sweep (DESIGN rule 4): R7/R8/R13 ticks of every workspace, each run once.

For each workspace the pure `workflows.kernel.ticks` says which ticks fell due since the catch-up
horizon; each one not yet done is run in chunks (issue 15), one transaction per chunk of at most
`chunk_size` requests, fewer when a chunk takes longer than `chunk_seconds`. The first chunk inserts `job_run(job, workspace_id, period)` — unique, so
when two replicas race, the second insert fails (on PostgreSQL it waits for the first to commit)
and that replica leaves the tick alone this sweep. Every chunk locks that row, asks
`core.run_tick(..., cursor=row.cursor)` for the next chunk, and commits its messages together
with the new cursor (or `status = done`): a chunk's messages and the cursor past them commit
together or not at all, so a crash mid-tick resumes after the last committed chunk and sends
nothing twice; on SQLite, other writers get the database between two chunks instead of waiting
for the whole tick. If a chunk raises, it rolls back and the tick is retried on later sweeps,
with back-off, from its cursor, while it is still inside the horizon. A restart re-reads
`job_run`, so a missed tick runs once, never N times, and a half-done one is finished.
"""
from __future__ import annotations

import gc
import json
import logging
import time
from datetime import datetime, date, timedelta
from typing import Any, Awaitable, Callable

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.metrics import Metrics
from storage.db import Database
from storage.tables import JobRun, Workspace
from workflows.calendar import calendar_from_settings
from workflows.clock import Clock
from workflows.policy import policy_for
from workflows.kernel.ticks import Tick, TickCalendar, catch_up_since, due_ticks, parse_horizon

log = logging.getLogger("collab.ticks")

Key = tuple[str, str, str]  # (job, workspace_id, period)


DONE, RUNNING = "done", "running"
MIN_CHUNK = 10


class _AlreadyRun(Exception):
    pass


class _Taken(Exception):
    """Another replica inserted the tick's job_run row first."""


def default_calendar(workspace: Workspace) -> TickCalendar:
    return calendar_from_settings(country=workspace.country, tz=workspace.timezone,
                                  settings=workspace.settings)


class TickSweep:
    def __init__(self, *, db: Database, clock: Clock, core: Any, metrics: Metrics,
                 horizon: str = "same_working_day", slack: timedelta = timedelta(minutes=1),
                 calendar_for: Callable[[Workspace], TickCalendar] = default_calendar,
                 retry_base_seconds: float = 30.0, follow_clock: bool = False,
                 chunk_size: int = 200, chunk_seconds: float = 0.1) -> None:
        """`follow_clock` (a virtual clock, the demo): a jump of the clock runs every tick it
        skipped, day by day in order, not only those inside the catch-up horizon."""
        self.db = db
        self.follow_clock = follow_clock
        self._last_now: datetime | None = None
        self.clock = clock
        self.core = core
        self.metrics = metrics
        self.default_horizon = parse_horizon(horizon)
        self.slack = slack
        self.calendar_for = calendar_for
        self.retry_base_seconds = retry_base_seconds
        self.chunk_size = chunk_size
        self.chunk_seconds = chunk_seconds
        self._limits: dict[str, int] = {}  # job → the chunk size its last chunk suggested
        self._calendars: dict[str, tuple[str, TickCalendar]] = {}
        self._done: dict[Key, date] = {}  # ticks known to have run (this process's memo)
        self._failures: dict[Key, tuple[int, float]] = {}  # key → (failures, monotonic retry)

    async def run(self) -> int:
        """Run every due tick of every workspace; the number run here."""
        now = self.clock.now()
        candidates = await self._candidates()
        if not candidates:
            self._last_now = now
            return 0
        await self._forget_already_run(candidates)
        ran = 0
        for workspace_id, tick in candidates:
            key = (tick.job, workspace_id, tick.period)
            if key in self._done or not self._retry_due(key):
                continue
            ran += await self._run_one(workspace_id, tick, key)
        if all((t.job, w, t.period) in self._done for w, t in candidates):
            self._last_now = now  # a tick still failing keeps the window open for its retry
        return ran

    async def _candidates(self) -> list[tuple[str, Tick]]:
        now = self.clock.now()
        async with self.db.uow() as uow:
            workspaces = await uow.all(select(Workspace).order_by(Workspace.id))
        found: list[tuple[str, Tick]] = []
        for ws in workspaces:
            try:
                calendar = self._calendar(ws)
                policy = policy_for(ws.settings)
                since = catch_up_since(calendar=calendar, now=now, horizon=self._horizon(ws),
                                       slack=self.slack)
                if self.follow_clock and self._last_now is not None:
                    since = min(since, self._last_now)
                ticks = due_ticks(calendar=calendar, policy=policy, since=since, until=now)
            except Exception:  # one workspace's bad settings must not stop the others
                log.exception("cannot compute ticks", extra={"workspace_id": ws.id})
                continue
            found.extend((ws.id, t) for t in ticks
                         if (t.job, ws.id, t.period) not in self._done)
        found.sort(key=lambda item: item[1].due_at)
        return found

    def _horizon(self, ws: Workspace) -> Any:
        configured = ((ws.settings or {}).get("policy") or {}).get("missed_tick_horizon")
        return parse_horizon(configured) if configured else self.default_horizon

    def _calendar(self, ws: Workspace) -> TickCalendar:
        stamp = json.dumps([ws.country, ws.timezone, ws.settings], sort_keys=True, default=str)
        cached = self._calendars.get(ws.id)
        if cached is None or cached[0] != stamp:
            cached = self._calendars[ws.id] = (stamp, self.calendar_for(ws))
        return cached[1]

    async def _forget_already_run(self, candidates: list[tuple[str, Tick]]) -> None:
        """One query for the candidates' finished job_run rows (after a restart, or another
        replica); a tick still `running` (a crash mid-tick) is a candidate: it is finished."""
        periods = sorted({t.period for _, t in candidates})
        workspaces = sorted({ws for ws, _ in candidates})
        async with self.db.uow() as uow:
            rows = await uow.all(select(JobRun.job, JobRun.workspace_id, JobRun.period).where(
                JobRun.period.in_(periods), JobRun.workspace_id.in_(workspaces), JobRun.status == DONE))
        days = {(t.job, ws, t.period): t.day for ws, t in candidates}
        for job, ws, period in rows:
            key = (job, ws, period)
            if key in days and key not in self._done:
                self._remember(key, days[key])
                self.metrics.ticks_skipped.labels(job).inc()

    async def _run_one(self, workspace_id: str, tick: Tick, key: Key) -> int:
        try:
            # a job starts at the size its last chunks found right (a quarter of the most at first)
            limit = self._limits.get(tick.job, max(min(MIN_CHUNK, self.chunk_size), self.chunk_size // 4))
            while (took := await self._collected(self._chunk(workspace_id, tick, limit))) is not None:
                log.debug("tick chunk", extra={"job": tick.job, "limit": limit, "seconds": round(took, 4)})
                limit = self._limits[tick.job] = self._next_limit(limit, took)
        except _AlreadyRun:
            self._remember(key, tick.day)
            self.metrics.ticks_skipped.labels(tick.job).inc()
            return 0
        except _Taken:  # another replica is starting it: its job_run row says how far it got
            self.metrics.ticks_skipped.labels(tick.job).inc()
            return 0
        except Exception:
            failures = self._failures.get(key, (0, 0.0))[0] + 1
            delay = self.retry_base_seconds * 2 ** (failures - 1)
            self._failures[key] = (failures, time.monotonic() + delay)
            self.metrics.tick_errors.labels(tick.job).inc()
            log.exception("tick failed; retrying", extra={
                "job": tick.job, "workspace_id": workspace_id, "period": tick.period,
                "failures": failures, "retry_in_s": delay})
            return 0
        self._remember(key, tick.day)
        self.metrics.ticks_run.labels(tick.job).inc()
        log.info("tick ran", extra={"job": tick.job, "workspace_id": workspace_id,
                                    "period": tick.period})
        return 1

    @staticmethod
    async def _collected(chunk: Awaitable[float | None]) -> float | None:
        """The chunk with Python's cyclic GC paused, then one young collection of what it left.

        A chunk allocates enough ORM objects to set off dozens of collections, full ones among
        them, each scanning the whole heap: half of a tick's time, and pauses of 100–400 ms in
        the middle of a chunk (bench/bench_ticks.py). Its garbage is all young (nothing is
        promoted while the GC is paused), so one generation-1 collection after it frees it."""
        if not gc.isenabled():
            return await chunk
        gc.disable()
        try:
            return await chunk
        finally:
            gc.enable()
            gc.collect(1)

    def _next_limit(self, limit: int, took: float) -> int:
        """Chunks that take about `chunk_seconds` (at most `chunk_size` requests): on a busy
        machine a chunk of 200 can take longer than anyone should wait behind it."""
        wanted = limit * self.chunk_seconds / took if took > 0 else self.chunk_size
        return max(min(MIN_CHUNK, self.chunk_size), min(self.chunk_size, int(wanted), limit * 2))

    async def _chunk(self, workspace_id: str, tick: Tick, limit: int) -> float | None:
        """One chunk in one transaction, with its cursor: the seconds it held the database
        (SQLite's writer lock), or None when the tick is done."""
        async with self.db.uow() as uow:
            started = time.monotonic()
            run = await uow.first(select(JobRun).where(
                JobRun.job == tick.job, JobRun.workspace_id == workspace_id, JobRun.period == tick.period)
                .with_for_update().execution_options(populate_existing=True))
            if run is None:
                run = JobRun(job=tick.job, workspace_id=workspace_id, period=tick.period,
                             ran_at=self.clock.now(), status=RUNNING, cursor="")
                uow.add(run)
                try:
                    await uow.flush()
                except IntegrityError:
                    raise _Taken from None
            elif run.status == DONE:
                raise _AlreadyRun
            cursor = await self.core.run_tick(uow, job=tick.job, workspace_id=workspace_id,
                                              day=tick.day, cursor=run.cursor, limit=limit)
            if cursor is not None and cursor == run.cursor:
                raise RuntimeError(f"{tick.job}: a chunk made no progress at cursor {cursor!r}")
            run.ran_at = self.clock.now()
            run.status, run.cursor = (DONE, run.cursor) if cursor is None else (RUNNING, cursor)
        return None if cursor is None else time.monotonic() - started

    def _retry_due(self, key: Key) -> bool:
        failure = self._failures.get(key)
        return failure is None or failure[1] <= time.monotonic()

    def _remember(self, key: Key, day: date) -> None:
        self._failures.pop(key, None)
        self._done[key] = day
        if len(self._done) > 50_000:  # keep a few days: older ticks are outside any horizon
            newest = max(self._done.values())
            self._done = {k: d for k, d in self._done.items() if d >= newest - timedelta(7)}

