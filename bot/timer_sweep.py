"""The timer sweep (DESIGN rule 4 "Time lives in rows"): claim due `timer` rows, fire them once.

One transaction per batch: the due rows are claimed in `due_at` order (PostgreSQL: `FOR UPDATE
SKIP LOCKED`, so replicas share the work and never fire a row twice; SQLite: `BEGIN IMMEDIATE`
already serialises), each is fired by `core.fire_timer(uow, timer)` inside a SAVEPOINT, and the
batch commits. The claim walks the `(state, due_at)` index from its start, so a sweep costs
O(due timers), not O(open timers).

A handler that raises rolls back its savepoint only — the other timers of the batch still fire.
The failing timer stays `pending` with `attempts`, `last_error` and `retry_at` (exponential
back-off from `TIMER_RETRY_BASE_SECONDS`); after `TIMER_MAX_ATTEMPTS` it is marked `failed`,
logged and counted, and never retried on its own (an operator can set it back to pending).
Lock contention is not the handler failing: a handler that lost a deadlock or a lock wait to
another replica's transaction (writing an outbox row locks its chat until commit, so two
transactions writing to chats A, B and B, A deadlock) is due again at once (the sweep's next
batch), no attempt spent — as the core retries an event at once (issue 14, `bench/bench_replicas.py`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import or_
from sqlmodel import select

from bot.metrics import Metrics
from storage.db import Database, UnitOfWork
from storage.tables import Timer
from workflows.clock import Clock

log = logging.getLogger("collab.timers")


# PostgreSQL: deadlock detected, lock not available, serialization failure
CONTENTION = frozenset({"40P01", "55P03", "40001"})


def lost_contention(exc: BaseException) -> bool:
    """The server aborted the statement to resolve contention between transactions."""
    return isinstance(exc, sa_exc.DBAPIError) and getattr(exc.orig, "sqlstate", None) in CONTENTION


@dataclass
class Fired:
    kind: str
    lateness: float  # seconds from due_at to fired_at, by the clock


def due_statement(*, now: datetime, limit: int, postgres: bool) -> Any:
    stmt = (select(Timer)
            .where(Timer.state == "pending", Timer.due_at <= now,
                   or_(Timer.retry_at.is_(None), Timer.retry_at <= now))
            .order_by(Timer.due_at, Timer.id)
            .limit(limit))
    return stmt.with_for_update(skip_locked=True) if postgres else stmt


class TimerSweep:
    def __init__(self, *, db: Database, clock: Clock, core: Any, metrics: Metrics,
                 batch_size: int = 50, max_attempts: int = 5,
                 retry_base_seconds: float = 30.0) -> None:
        self.db = db
        self.clock = clock
        self.core = core
        self.metrics = metrics
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds

    async def run(self, *, max_batches: int = 1000) -> int:
        """Fire every timer due now (batch after batch); the number fired."""
        total = 0
        for _ in range(max_batches):
            claimed, fired = await self.run_batch()
            total += fired
            if not claimed:
                break  # a handler may have set a timer that is already due (R14 head → VP)
        return total

    async def run_batch(self) -> tuple[int, int]:
        """One transaction: (timers claimed, timers fired)."""
        now = self.clock.now()
        fired: list[Fired] = []
        async with self.db.uow() as uow:
            timers = await uow.all(due_statement(now=now, limit=self.batch_size,
                                                 postgres=uow.is_postgres))
            for timer in timers:
                outcome = await self._fire(uow, timer, now)
                if outcome is not None:
                    fired.append(outcome)
        for item in fired:  # counted once committed
            self.metrics.timers_fired.labels(item.kind).inc()
            self.metrics.timer_lateness.observe(item.lateness)
        return len(timers), len(fired)

    async def _fire(self, uow: UnitOfWork, timer: Timer, now: datetime) -> Fired | None:
        timer_id, kind, due_at = timer.id, timer.kind, timer.due_at
        try:
            async with uow.savepoint():
                await self.core.fire_timer(uow, timer)
                if timer.state == "pending" and timer.due_at <= now:
                    # the handler neither marked it nor moved it on: it has fired all the same
                    timer.state, timer.fired_at = "fired", now
        except Exception as exc:
            await self._record_error(uow, timer, exc, now)
            return None
        if timer.state != "fired":
            return None  # moved to a later due_at (a repeating reminder) or cancelled
        lateness = ((timer.fired_at or now) - due_at).total_seconds()
        log.info("timer fired", extra={"timer_id": timer_id, "kind": kind,
                                       "subject": timer.subject, "lateness_s": lateness})
        return Fired(kind, lateness)

    async def _record_error(self, uow: UnitOfWork, timer: Timer, exc: Exception,
                            now: datetime) -> None:
        await uow.session.refresh(timer)  # the savepoint's changes are gone
        if lost_contention(exc):
            timer.retry_at = None  # due as it was: the sweep's next batch takes it again
            timer.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            self.metrics.timer_errors.labels(timer.kind).inc()
            log.info("timer lost a lock to another transaction; again at once", extra={
                "timer_id": timer.id, "kind": timer.kind, "subject": timer.subject,
                "sqlstate": getattr(getattr(exc, "orig", None), "sqlstate", "")})
            await uow.flush()
            return
        timer.attempts += 1
        timer.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if timer.attempts >= self.max_attempts:
            timer.state = "failed"
            self.metrics.timers_failed.labels(timer.kind).inc()
            log.error("timer failed", exc_info=exc, extra={
                "timer_id": timer.id, "kind": timer.kind, "subject": timer.subject,
                "attempts": timer.attempts})
        else:
            delay = self.retry_base_seconds * 2 ** (timer.attempts - 1)
            timer.retry_at = now + timedelta(seconds=delay)
            self.metrics.timer_errors.labels(timer.kind).inc()
            log.warning("timer handler raised; retrying", exc_info=exc, extra={
                "timer_id": timer.id, "kind": timer.kind, "subject": timer.subject,
                "attempts": timer.attempts, "retry_in_s": delay})
        await uow.flush()
