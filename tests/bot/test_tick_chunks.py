"""Daily ticks in chunks (issue 15): a tick commits a chunk of requests at a time with its cursor
on `job_run`, so a crash mid-tick resumes after the last committed chunk without sending anything
twice, chunking changes nothing anyone receives, and on SQLite a command gets in between two
chunks instead of waiting for the whole tick."""
from __future__ import annotations

import asyncio
import gc
from collections import Counter
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlmodel import select

from bot.metrics import Metrics
from bot.tick_sweep import TickSweep
from core_support import demo_core, say
from storage.tables import (AuditEvent, CollaborationRequest, Department, JobRun, OutboxMessage, Person,
                            ProgressPost, Task)
from workflows.core import Core

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 7, 13)  # a Monday
OWNERS = ("zheng", "wu", "lin")
INITIATORS = ("sun", "wang")


def at(hh: int, mm: int) -> datetime:
    return datetime.combine(DAY, time(hh, mm), tzinfo=SH)


async def seven_running_requests(core: Core) -> None:
    """XT-2026-001…007 in progress in g1/g2, two tasks each; zheng posted today for 001's first."""
    async with core.db.uow() as uow:
        people = {p.key: p.id for p in await uow.all(select(Person))}
        tech = (await uow.first(select(Department).where(Department.name == "技术部"))).id
        now = core.clock.now()
        for n in range(1, 8):
            request = CollaborationRequest(
                workspace_id="local:demo", number=f"XT-2026-{n:03d}", title=f"需求{n}", initiating_department_id=tech,
                initiator_id=people[INITIATORS[n % 2]], conversation=f"g{1 + n % 2}", collaborating=[tech],
                state="in_progress", created_at=now, updated_at=now)
            uow.add(request)
            await uow.flush()
            for seq in (1, 2):
                uow.add(Task(request_id=request.id, seq=seq, title=f"任务{n}.{seq}", lead_department_id=tech,
                             owner_id=people[OWNERS[(n + seq) % 3]], status="in_progress"))
        await uow.flush()
        first = await uow.first(select(Task).where(Task.seq == 1).order_by(Task.id))
        uow.add(ProgressPost(task_id=first.id, person_id=first.owner_id, work_date=DAY, today="联调", posted_at=now))


class Crash(Exception):
    pass


class CrashingCore:
    """The real core, except that the process 'dies' during the `at`-th chunk of `job`: after the
    chunk wrote its messages, before its transaction commits."""

    def __init__(self, core: Core, job: str, at: int) -> None:
        self.core, self.job, self.at, self.calls = core, job, at, 0

    async def run_tick(self, uow, *, job: str, **kwargs):
        cursor = await self.core.run_tick(uow, job=job, **kwargs)
        if job == self.job:
            self.calls += 1
            if self.calls == self.at:
                raise Crash(f"killed in chunk {self.at} of {job}")
        return cursor


def sweep(core: Core, *, chunk: int, runner=None) -> TickSweep:
    """A fresh sweep (a restart) running `runner` (default: the core itself)."""
    return TickSweep(db=core.db, clock=core.clock, core=runner or core, metrics=Metrics(), chunk_size=chunk,
                     retry_base_seconds=3600)


async def outbox(core: Core) -> list[OutboxMessage]:
    async with core.db.uow() as uow:
        return await uow.all(select(OutboxMessage).order_by(OutboxMessage.id))


def titled(rows: list[OutboxMessage], word: str) -> list[OutboxMessage]:
    return [r for r in rows if word in r.payload["card"]["title"]]


async def job_runs(core: Core) -> dict[str, tuple[str, str]]:
    async with core.db.uow() as uow:
        return {r.job: (r.status, r.cursor) for r in await uow.all(select(JobRun))}


async def test_a_crash_mid_tick_resumes_after_the_last_chunk_and_sends_nothing_twice(db):
    core = await demo_core(db)
    await seven_running_requests(core)
    core.clock.set(at(16, 31))  # the 12:00 digest (nothing open) and the 16:30 reminder are due
    crashing = CrashingCore(core, "daily.remind", at=2)
    assert await sweep(core, chunk=1, runner=crashing).run() == 1  # the digest ran; the reminder died
    assert gc.isenabled()  # paused during a chunk, back on after it, even a failed one
    status, cursor = (await job_runs(core))["daily.remind"]
    assert status == "running" and cursor  # chunk 1 (one owner's reminder) is committed
    assert len(titled(await outbox(core), "今日进展待同步")) == 1

    assert await sweep(core, chunk=1).run() == 1  # a restart finishes it from the cursor
    reminders = titled(await outbox(core), "今日进展待同步")
    assert Counter(r.conversation for r in reminders) == Counter(OWNERS)  # each owner once
    for row in reminders:  # … listing every task they still owe today
        owner = row.conversation
        owed = [f"{n:03d}" for n in range(1, 8) for seq in (1, 2)
                if OWNERS[(n + seq) % 3] == owner and (n, seq) != (1, 1)]
        assert [number for number in owed if f"XT-2026-{number}" in row.payload["card"]["text"]] == owed

    core.clock.set(at(17, 1))
    assert await sweep(core, chunk=2, runner=CrashingCore(core, "daily.summary", at=3)).run() == 0
    assert (await job_runs(core))["daily.summary"][0] == "running"
    assert len(titled(await outbox(core), "今日进展同步")) == 4  # chunks 1 and 2: two requests each
    assert await sweep(core, chunk=2).run() == 1
    rows = await outbox(core)
    summaries = [r.payload["card"]["title"].split()[0] for r in titled(rows, "今日进展同步")]
    assert summaries == [f"XT-2026-{n:03d}" for n in range(1, 8)]  # each once, in order
    boards = titled(rows, "协作看板")
    assert len(boards) == 2 and rows.index(boards[0]) > rows.index(titled(rows, "今日进展同步")[-1])
    assert {status for status, _ in (await job_runs(core)).values()} == {"done"}


async def test_chunks_change_nothing_anyone_receives(db):
    core = await demo_core(db)
    await seven_running_requests(core)
    received = []
    for chunk in (1000, 1):
        core.clock.set(at(16, 31))
        await sweep(core, chunk=chunk).run()
        core.clock.set(at(17, 1))
        await sweep(core, chunk=chunk).run()
        rows = await outbox(core)
        received.append(Counter((r.conversation, r.kind, str(r.payload)) for r in rows))
        async with core.db.uow() as uow:  # the same day again, from scratch
            for table in (OutboxMessage, JobRun):
                await uow.session.execute(delete(table))
            await uow.session.execute(delete(AuditEvent).where(AuditEvent.action == "board.daily"))
    assert received[0] == received[1] and sum(received[0].values()) == 3 + 7 + 2


async def test_a_command_gets_in_between_two_chunks_of_a_tick(db):
    core = await demo_core(db)
    await seven_running_requests(core)
    core.clock.set(at(17, 1))
    order: list[str] = []
    commands: list[asyncio.Future] = []

    class Watching:
        """Types a command while the first chunk runs (it waits for the database: SQLite has
        one writer) and notes when each chunk starts."""

        async def run_tick(self, uow, *, job: str, **kwargs):
            order.append(f"{job} chunk")
            if job == "daily.summary" and not commands:
                async def post() -> None:
                    reply = await core.handle(say("zheng", "日报 XT-2026-002#1 今日：联调", "e-mid-tick"))
                    order.append("command" if reply.ok else reply.text)
                commands.append(asyncio.ensure_future(post()))
                await asyncio.sleep(0)
            return await core.run_tick(uow, job=job, **kwargs)

    await sweep(core, chunk=2, runner=Watching()).run()
    await asyncio.gather(*commands)
    summary = [o for o in order if o.startswith("daily.summary") or o == "command"]
    assert len(summary) > 3 and "command" in summary  # several chunks, and the command answered
    if db.dialect == "sqlite":  # one writer: it went in right after the first chunk, not after the tick
        assert summary.index("command") == 1


def test_a_slow_chunk_makes_the_next_ones_smaller():
    ticks = TickSweep(db=None, clock=None, core=None, metrics=Metrics(), chunk_size=200, chunk_seconds=0.1)
    assert ticks._next_limit(200, 0.4) == 50  # a busy machine: a quarter of the requests
    assert ticks._next_limit(50, 0.01) == 100  # quiet again: back up, doubling at most
    assert ticks._next_limit(150, 0.01) == 200  # never past TICK_CHUNK_SIZE
    assert ticks._next_limit(20, 5.0) == 10  # and never below 10
