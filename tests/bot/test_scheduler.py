"""The scheduler (DESIGN rule 4): due timers fire once, cron ticks run once per period, a
restart catches up within the horizon, a broken handler blocks nobody."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.metrics import Metrics
from bot.scheduler import Scheduler
from bot.time_settings import TimeSettings
from storage.tables import AuditEvent, JobRun, Timer, Workspace
from fake_core import RecordingCore
from workflows.clock import VirtualClock

SH = ZoneInfo("Asia/Shanghai")


def sh(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm, ss), tzinfo=SH).astimezone(timezone.utc)


T0 = sh(date(2026, 6, 10), 10)  # a Wednesday, working day


def scheduler(db, clock, core=None, **settings) -> Scheduler:
    settings.setdefault("timer_retry_base_seconds", 60)
    return Scheduler(db=db, clock=clock, core=core or RecordingCore(clock=clock),
                     settings=TimeSettings(**settings), metrics=Metrics())


async def add_workspace(db, ws_id="local:acme", tz="Asia/Shanghai", country="CN") -> None:
    async with db.uow() as uow:
        uow.add(Workspace(id=ws_id, platform="local", external_id=ws_id.split(":")[1],
                          timezone=tz, country=country))


async def add_timers(db, specs: list[tuple[str, datetime]], ws_id="local:acme") -> list[int]:
    async with db.uow() as uow:
        rows = [Timer(workspace_id=ws_id, kind=kind, subject=f"issue:{n}", due_at=due,
                      created_at=T0 - timedelta(hours=1)) for n, (kind, due) in enumerate(specs)]
        for row in rows:
            uow.add(row)
        await uow.flush()
        return [row.id for row in rows]


async def audit(db, prefix: str) -> list[AuditEvent]:
    async with db.uow() as uow:
        rows = await uow.all(select(AuditEvent).order_by(AuditEvent.id))
    return [r for r in rows if r.action.startswith(prefix)]


async def timers(db) -> dict[int, Timer]:
    async with db.uow() as uow:
        return {t.id: t for t in await uow.all(select(Timer))}


async def test_due_timers_fire_exactly_once_and_future_ones_wait(db):
    clock = VirtualClock(T0)
    ids = await add_timers(db, [("issue.escalate_head", T0 - timedelta(minutes=5)),
                                ("task.due", T0), ("confirm.remind", T0 - timedelta(days=1)),
                                ("issue.escalate_vp", T0 + timedelta(hours=2)),
                                ("task.risk_check", T0 + timedelta(seconds=1))])
    sched = scheduler(db, clock)

    assert await sched.run_due() == (3, 0)
    assert await sched.run_due() == (0, 0)
    fired = await audit(db, "timer.fired")
    assert sorted(e.subject for e in fired) == sorted(f"timer:{i}" for i in ids[:3])
    # the oldest deadline first
    assert [e.detail["kind"] for e in fired] == ["confirm.remind", "issue.escalate_head",
                                                 "task.due"]

    clock.advance(timedelta(hours=2))
    assert await sched.run_due() == (2, 0)
    state = await timers(db)
    assert {t.state for t in state.values()} == {"fired"}
    assert state[ids[3]].fired_at == T0 + timedelta(hours=2)
    lateness = sched.metrics.timer_lateness
    assert lateness._sum.get() == 300 + 0 + 86400 + 0 + (7200 - 1)


async def test_cancelled_timers_never_fire(db):
    clock = VirtualClock(T0)
    (tid,) = await add_timers(db, [("issue.escalate_head", T0)])
    async with db.uow() as uow:
        (await uow.get(Timer, tid)).state = "cancelled"
    assert await scheduler(db, clock).run_due() == (0, 0)
    assert await audit(db, "timer.fired") == []


async def test_a_broken_handler_blocks_no_other_timer_and_ends_failed(db):
    clock = VirtualClock(T0)
    core = RecordingCore(clock=clock, broken_kinds=("task.broken",))
    ids = await add_timers(db, [("task.due", T0), ("task.broken", T0), ("task.due", T0)])
    sched = scheduler(db, clock, core, timer_max_attempts=3, timer_retry_base_seconds=60)

    assert await sched.run_due() == (2, 0)
    broken = (await timers(db))[ids[1]]
    assert (broken.state, broken.attempts) == ("pending", 1)
    assert "handler for task.broken is broken" in broken.last_error
    assert broken.retry_at == T0 + timedelta(seconds=60)
    # the broken handler's own writes were rolled back with its savepoint
    assert [e.subject for e in await audit(db, "timer.fired")] == [f"timer:{ids[0]}",
                                                                   f"timer:{ids[2]}"]
    assert [e.subject for e in await audit(db, "timer.noted")] == [f"timer:{ids[0]}",
                                                                   f"timer:{ids[2]}"]
    assert await sched.run_due() == (0, 0)  # backing off: not retried at once

    clock.advance(timedelta(seconds=60))
    await sched.run_due()
    assert (await timers(db))[ids[1]].attempts == 2
    clock.advance(timedelta(seconds=120))
    await sched.run_due()
    broken = (await timers(db))[ids[1]]
    assert (broken.state, broken.attempts) == ("failed", 3)
    assert sched.metrics.timers_failed.labels("task.broken")._value.get() == 1
    clock.advance(timedelta(days=1))
    assert await sched.run_due() == (0, 0)


async def test_many_due_timers_are_fired_in_batches(db):
    clock = VirtualClock(T0)
    await add_timers(db, [("task.due", T0 - timedelta(seconds=n)) for n in range(120)])
    sched = scheduler(db, clock, timer_batch_size=25)
    assert await sched.run_due() == (120, 0)
    assert len({e.subject for e in await audit(db, "timer.fired")}) == 120


async def ticks_run(db) -> list[tuple[str, str]]:
    return [(e.action.removeprefix("tick:"), e.subject) for e in await audit(db, "tick:")]


async def test_a_working_day_runs_each_tick_once_in_order(db):
    await add_workspace(db)
    clock = VirtualClock(sh(date(2026, 6, 12), 8))  # a Friday
    sched = scheduler(db, clock)
    for hour in range(8, 20):
        for minute in (0, 15, 30, 45):
            clock.set(sh(date(2026, 6, 12), hour, minute))
            await sched.run_due()
    assert await ticks_run(db) == [("issue.digest", "2026-06-12"),
                                   ("weekly.report", "2026-06-12"),
                                   ("daily.remind", "2026-06-12"),
                                   ("daily.summary", "2026-06-12")]
    async with db.uow() as uow:
        periods = sorted((r.job, r.period) for r in await uow.all(select(JobRun)))
    assert ("weekly.report", "2026-W24") in periods and len(periods) == 4


async def test_daily_summary_skips_the_holiday_and_runs_on_the_make_up_saturday(db):
    await add_workspace(db)
    clock = VirtualClock(sh(date(2026, 4, 30), 0))
    sched = scheduler(db, clock)
    while clock.now() < sh(date(2026, 5, 11), 0):
        clock.advance(timedelta(minutes=30))
        await sched.run_due()
    summaries = [day for job, day in await ticks_run(db) if job == "daily.summary"]
    assert summaries == ["2026-04-30", "2026-05-06", "2026-05-07", "2026-05-08",
                         "2026-05-09"]  # 5/1–5/5 Labour Day off, Sat 5/9 a 调休 working day


async def test_a_restart_after_missing_17_00_runs_the_summary_once(db):
    await add_workspace(db)
    day = date(2026, 6, 10)
    clock = VirtualClock(sh(day, 16, 0))
    await scheduler(db, clock).run_due()  # up at 16:00: catches up the 12:00 digest
    assert await ticks_run(db) == [("issue.digest", "2026-06-10")]

    clock.set(sh(day, 17, 40))  # down from 16:00 to 17:40; a new process starts
    restarted = scheduler(db, clock)
    await restarted.run_due()
    await restarted.run_due()
    await scheduler(db, clock).run_due()  # and another replica starting at the same time
    assert await ticks_run(db) == [("issue.digest", "2026-06-10"),
                                   ("daily.remind", "2026-06-10"),
                                   ("daily.summary", "2026-06-10")]
    assert restarted.metrics.ticks_run.labels("daily.summary")._value.get() == 1


async def test_a_tick_missed_yesterday_is_not_run_today(db):
    await add_workspace(db)
    clock = VirtualClock(sh(date(2026, 6, 11), 9, 0))  # down all of 6/10 afternoon
    await scheduler(db, clock).run_due()
    assert await ticks_run(db) == []


async def test_a_duration_horizon_from_the_workspace_policy(db):
    await add_workspace(db)
    async with db.uow() as uow:
        (await uow.get(Workspace, "local:acme")).settings = {
            "policy": {"missed_tick_horizon": "1h"}}
    clock = VirtualClock(sh(date(2026, 6, 10), 17, 40))
    await scheduler(db, clock).run_due()
    assert await ticks_run(db) == [("daily.summary", "2026-06-10")]


async def test_two_replicas_racing_run_each_tick_once(db):
    await add_workspace(db)
    await add_workspace(db, "local:beta")
    clock = VirtualClock(sh(date(2026, 6, 10), 17, 5))
    replicas = [scheduler(db, clock, RecordingCore(clock=clock, name=f"r{n}")) for n in range(3)]
    await asyncio.gather(*(r.run_due() for r in replicas))
    run = await ticks_run(db)
    assert sorted(run) == sorted([(job, "2026-06-10") for job in
                                  ("issue.digest", "daily.remind", "daily.summary")] * 2)
    skipped = sum(r.metrics.ticks_skipped.labels(job)._value.get() for r in replicas
                  for job in ("issue.digest", "daily.remind", "daily.summary"))
    assert skipped == 2 * 6  # the two others each saw all six already run


async def test_a_tick_whose_job_raises_is_retried_and_not_marked_run(db):
    await add_workspace(db)
    clock = VirtualClock(sh(date(2026, 6, 10), 12, 1))
    broken = RecordingCore(clock=clock, broken_jobs=("issue.digest",))
    sched = scheduler(db, clock, broken, timer_retry_base_seconds=0)
    await sched.run_due()
    async with db.uow() as uow:
        assert await uow.all(select(JobRun)) == []
    assert await ticks_run(db) == []
    sched.ticks.core = RecordingCore(clock=clock)  # fixed (a deploy)
    await sched.run_due()
    assert await ticks_run(db) == [("issue.digest", "2026-06-10")]


async def test_the_new_york_summary_runs_at_17_00_local_after_dst_starts(db):
    await add_workspace(db, "slack:T1", tz="America/New_York", country="US")
    ny = ZoneInfo("America/New_York")
    clock = VirtualClock(datetime(2026, 3, 9, 16, 59, tzinfo=ny))  # Monday after the switch
    sched = scheduler(db, clock)
    await sched.run_due()
    assert [job for job, _ in await ticks_run(db)] == ["issue.digest", "daily.remind"]
    clock.set(datetime(2026, 3, 9, 21, 0, tzinfo=timezone.utc))  # 17:00 EDT
    await sched.run_due()
    assert (await ticks_run(db))[-1] == ("daily.summary", "2026-03-09")


async def test_started_scheduler_sweeps_on_its_interval(db):
    clock = VirtualClock(T0)
    woken: list[int] = []
    sched = Scheduler(db=db, clock=clock, core=RecordingCore(clock=clock),
                      settings=TimeSettings(timer_sweep_seconds=0.05, tick_sweep_seconds=3600),
                      metrics=Metrics(), on_work=lambda: woken.append(1))
    await add_timers(db, [("task.due", T0 + timedelta(hours=1))])
    await sched.start()
    try:
        clock.advance(timedelta(hours=1))
        for _ in range(300):  # the commit is visible a moment before the sweep returns
            if woken and await audit(db, "timer.fired"):
                break
            await asyncio.sleep(0.01)
        assert len(await audit(db, "timer.fired")) == 1
        assert woken  # the delivery worker is woken after a sweep that did something
    finally:
        await sched.stop()
    await sched.stop()  # idempotent


async def test_kick_sweeps_at_once_without_waiting_for_the_interval(db):
    clock = VirtualClock(T0)
    sched = scheduler(db, clock, timer_sweep_seconds=3600, tick_sweep_seconds=3600)
    await sched.start()
    try:
        await asyncio.sleep(0.05)  # the start-up sweep (nothing due yet)
        await add_timers(db, [("task.due", T0 + timedelta(minutes=30))])
        clock.advance(timedelta(minutes=30))
        assert await sched.kick() == (1, 0)
        assert len(await audit(db, "timer.fired")) == 1
    finally:
        await sched.stop()
