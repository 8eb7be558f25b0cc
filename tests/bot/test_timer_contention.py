"""A timer whose handler lost a deadlock is fired again at once, not 30 s later (issue 14,
found by `bench/bench_replicas.py`).

Writing an outbox row locks its chat until the transaction commits (the rows of one chat queue
in commit order). A timer batch writing to chats A then B and another replica's transaction
writing to B then A deadlock; PostgreSQL aborts one of them. An event that loses is retried at
once by the core; a timer that lost used to be treated like a broken handler — `retry_at` 30 s
later, one of its 5 attempts spent — so R14 pings went out half a minute late under load.
"""
from __future__ import annotations

import asyncio
import os
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.metrics import Metrics
from bot.timer_sweep import TimerSweep
from storage.db import Database, UnitOfWork
from storage.tables import OutboxMessage, Timer, Workspace
from workflows.clock import VirtualClock

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
NOW = datetime(2026, 7, 1, 3, 0, tzinfo=timezone.utc)


def row(conversation: str) -> dict:
    return dict(workspace_id="w", platform="fake", conversation=conversation, kind="dm",
                payload={"text": conversation}, next_attempt_at=NOW, created_at=NOW)


class CrossingCore:
    """Fires a timer by writing to chat A, then chat B; the first time, another transaction
    holds B and then asks for A — a deadlock this transaction loses."""

    def __init__(self, other: Database) -> None:
        self.other = other
        self.calls = 0

    async def fire_timer(self, uow: UnitOfWork, timer: Timer) -> None:
        self.calls += 1
        uow.append(OutboxMessage, **row("A"))
        await uow.flush()  # chat A locked until this batch commits
        if self.calls == 1:
            holding_b, blocker = asyncio.Event(), None

            async def other_replica() -> None:
                async with self.other.uow() as other:
                    # this side never gives up first: the sweep's session detects the deadlock
                    await other.execute(text("SET LOCAL deadlock_timeout = '20s'"))
                    other.append(OutboxMessage, **row("B"))
                    await other.flush()
                    holding_b.set()
                    other.append(OutboxMessage, **row("A"))
                    await other.flush()
            blocker = asyncio.create_task(other_replica())
            await holding_b.wait()
            try:
                uow.append(OutboxMessage, **row("B"))
                await uow.flush()
            finally:
                self.blocker = blocker
        else:
            uow.append(OutboxMessage, **row("B"))
            await uow.flush()
        timer.state, timer.fired_at = "fired", NOW


@pytest.mark.skipif(not PG_URL, reason="a deadlock needs PostgreSQL's row locks")
async def test_a_timer_that_lost_a_deadlock_fires_again_at_once(database_url):
    url, schema = database_url
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite serialises writers, nothing can deadlock")
    db, other = Database(url, schema=schema), Database(url, schema=schema)
    await db.create_all()
    async with db.uow() as uow:
        uow.add(Workspace(id="w", platform="fake", external_id="W"))
        uow.add(Timer(workspace_id="w", kind="issue.escalate_head", subject="issue:1",
                      due_at=NOW - timedelta(seconds=1), created_at=NOW))
    core = CrossingCore(other)
    sweep = TimerSweep(db=db, clock=VirtualClock(NOW), core=core, metrics=Metrics())
    try:
        fired = await sweep.run()  # the clock does not move: no back-off can have passed
        await core.blocker  # the other replica's transaction went through
        async with db.uow() as uow:
            [timer] = await uow.all(select(Timer))
            rows = [r.conversation for r in await uow.all(select(OutboxMessage).order_by(OutboxMessage.id))]
    finally:
        await db.dispose()
        await other.dispose()
    assert core.calls == 2  # lost the deadlock, then fired
    assert fired == 1 and timer.state == "fired"
    assert timer.attempts == 0  # lock contention is not the handler failing: no attempt spent
    assert sorted(rows) == ["A", "A", "B", "B"]  # the other's two rows and the timer's two, once
