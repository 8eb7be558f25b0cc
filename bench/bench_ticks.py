"""Daily ticks at scale (issue 15): the 12:00 digest (R13), the Friday report (R8), the 16:30
reminder and the 17:00 summary with the initiators' boards (R7, R36) over 1k / 10k / 100k open
requests — wall time per request (linear?), peak RSS, and the latency of a command typed while
a tick runs against the same command with no tick running (the control, same process, same run).

Each size runs in two fresh processes: one seeds the rows by bulk insert, the other only runs
the ticks, so its peak RSS (`VmHWM` from /proc) is the ticks' own. The org grows with the data
(one person per 20 requests, so a reminder lists ~40 tasks, as in a real company, not 10,000).

Run: `python bench/bench_ticks.py [--sizes 1000,10000] [--backends sqlite,postgresql]`
(PostgreSQL when TEST_DATABASE_URL / BENCH_DATABASE_URL is set). `--seed-only` seeds and keeps
the database (named on stderr) to run `--measure BACKEND WHERE N` on, or EXPLAIN against.
"""
from __future__ import annotations

import argparse
import asyncio
import contextvars
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from bench.common import PG_URL, cpu_seconds, demo_org  # noqa: E402
from bot.metrics import Metrics  # noqa: E402
from bot.tick_sweep import TickSweep  # noqa: E402
from storage.db import Database, sync_url  # noqa: E402
from storage.statements import row_of  # noqa: E402
from storage.tables import (CollaborationRequest, Department, Issue, Person, PersonIdentity,  # noqa: E402
                            ProgressPost, Task)
from workflows.clock import VirtualClock  # noqa: E402
from workflows.events import CommandInvoked, Tenant  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
FRIDAY = date(2026, 7, 17)
SEED_AT = datetime(2026, 7, 17, 9, tzinfo=SH)
TICKS = (("issue.digest", 12, 1), ("weekly.report", 14, 31), ("daily.remind", 16, 31),
         ("daily.summary", 17, 1))
CHUNK = 5_000
PER_PERSON = 20  # requests per person in the org
PER_CHAT = 50  # requests per group chat
GAP_S = 0.02  # between two commands of the latency probe
CONTROL = 60  # commands with no tick running, before and after the ticks


WAITS: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("waits", default=None)


class TimedLock(asyncio.Lock):
    """SQLite's in-process writer lock (storage/db.py), noting how long each probe command
    waited for it: the time it spent behind a tick's chunk, without its own work."""

    async def acquire(self) -> bool:
        start = time.perf_counter()
        got = await super().acquire()
        waits = WAITS.get()
        if waits is not None:
            waits.append(time.perf_counter() - start)
        return got


class Chunks(logging.Handler):
    """The sweep's `tick chunk` debug records: each chunk's size and the seconds it held the
    database, to compare a tick's first chunks with its last (linear: the same per request)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[tuple[int, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "tick chunk":
            self.seen.append((record.limit, record.seconds))  # type: ignore[attr-defined]

    def take(self) -> dict:
        seen, self.seen = self.seen, []
        tenth = max(1, len(seen) // 10)
        per = lambda part: sum(s for _, s in part) / max(1, sum(n for n, _ in part)) * 1000  # noqa: E731
        return {"chunks": len(seen), "mean_size": sum(n for n, _ in seen) / max(1, len(seen)),
                "first_ms": per(seen[:tenth]), "last_ms": per(seen[-tenth:])}


def rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _db(backend: str, where: str) -> Database:
    if backend == "sqlite":
        return Database(f"sqlite+aiosqlite:///{where}")
    return Database(PG_URL, schema=where)


async def _bulk(db: Database, table, rows) -> None:
    batch: list[dict] = []
    for row in rows:
        # the model's defaults for the columns left out; ids given are kept
        batch.append({**row_of(table, {k: v for k, v in row.items() if k != "id"}),
                      **({"id": row["id"]} if "id" in row else {})})
        if len(batch) == CHUNK:
            async with db.uow() as uow:
                await uow.session.execute(insert(table), batch)
            batch = []
    if batch:
        async with db.uow() as uow:
            await uow.session.execute(insert(table), batch)


async def seed(backend: str, where: str, n: int) -> None:
    """`n` requests in progress, 2 open tasks each (half posted today), an open issue each."""
    db = _db(backend, where)
    await db.create_all()
    core, ws = await demo_org(db, VirtualClock(SEED_AT))
    async with db.uow() as uow:
        tech = (await uow.first(select(Department.id).where(Department.name == "技术部")))
    count = max(2, n // PER_PERSON)
    await _bulk(db, Person, (dict(workspace_id=ws, key=f"p{k}", name=f"员工{k}", department_id=tech)
                             for k in range(count)))
    async with db.uow() as uow:
        people = list(await uow.all(select(Person.id).where(col(Person.key).like("p%")).order_by(Person.id)))
    await _bulk(db, PersonIdentity, (dict(workspace_id=ws, person_id=pid, external_id=f"p{k}")
                                     for k, pid in enumerate(people)))
    now = SEED_AT.astimezone(timezone.utc)
    # a chat holds PER_CHAT consecutive requests from 10 initiators: n / 5 boards
    await _bulk(db, CollaborationRequest, (dict(
        id=i, workspace_id=ws, number=f"XT-2026-{i:06d}", title=f"需求{i}", initiating_department_id=tech,
        initiator_id=people[(i // PER_CHAT * 10 + i % 10) % len(people)], conversation=f"g{i // PER_CHAT}",
        collaborating=[tech], content={}, milestones=[], contacts={}, lessons=[], state="in_progress",
        created_at=now, updated_at=now) for i in range(1, n + 1)))
    await _bulk(db, Task, (dict(
        id=2 * i - 1 + s, request_id=i, seq=s + 1, title=f"任务{s + 1}", lead_department_id=tech,
        owner_id=people[(2 * i + s) % len(people)], consulted=[], informed=[], supporting=[],
        status="in_progress", risk="high" if i % 7 == 0 else "low")
        for i in range(1, n + 1) for s in (0, 1)))
    await _bulk(db, ProgressPost, (dict(
        task_id=2 * i - 1, person_id=people[(2 * i) % len(people)], work_date=FRIDAY - timedelta(days=d),
        today="完成接口", tomorrow="联调", risk_note="", posted_at=now) for i in range(1, n + 1) for d in (0, 1)))
    await _bulk(db, Issue, (dict(
        request_id=i, seq=1, description="接口超时", departments=[tech], severity="high" if i % 3 else "low",
        urgent=False, responsible_department_id=tech, owner_id=people[i % len(people)],
        raised_by=people[(i + 1) % len(people)], raised_at=now, state="open") for i in range(1, n + 1)))
    if backend == "postgresql":
        async with db.uow() as uow:
            await uow.session.execute(text("ANALYZE"))
    await db.dispose()


async def probe(core, people: list[str], stop: asyncio.Event | None, count: int, tag: str,
                waits: list[float] | None = None) -> list[float]:
    """Commands one after another (`GAP_S` apart): each a daily post by a task's owner."""
    WAITS.set(waits)
    samples: list[float] = []
    k = 0
    while (stop is not None and not stop.is_set()) or (stop is None and k < count):
        i = 1 + (k * 7919) % (len(people) - 1)  # request i's first task is owned by people[i]
        event = CommandInvoked(tenant=Tenant("local", "demo"), actor=people[i][0], conversation=people[i][1],
                               event_id=f"{tag}-{k}", text=f"日报 XT-2026-{i:06d}#1 今日：联调中")
        start = time.perf_counter()
        reply = await core.handle(event)
        samples.append(time.perf_counter() - start)
        assert reply.ok, reply.text
        k += 1
        await asyncio.sleep(GAP_S)
    return samples


async def measure(backend: str, where: str, n: int) -> dict:
    db = _db(backend, where)
    clock = VirtualClock(datetime.combine(FRIDAY, datetime.min.time().replace(hour=11), tzinfo=SH))
    from workflows.core import Core
    core = Core(db=db, clock=clock)
    async with db.uow() as uow:  # who owns request i's first task, and its chat
        rows = (await uow.execute(text(
            "SELECT r.id, p.key, r.conversation FROM collab_request r JOIN task t ON t.request_id = r.id "
            "AND t.seq = 1 JOIN person p ON p.id = t.owner_id ORDER BY r.id LIMIT 2000"))).all()
    people = [("", "")] + [(key, chat) for _, key, chat in rows]
    sweep = TickSweep(db=db, clock=clock, core=core, metrics=Metrics())
    if db.dialect == "sqlite":
        db._writers = (asyncio.get_running_loop(), TimedLock())
    waited: list[float] = []
    chunks = Chunks()
    logging.getLogger("collab.ticks").addHandler(chunks)
    logging.getLogger("collab.ticks").setLevel(logging.DEBUG)
    control = await probe(core, people, None, CONTROL // 2, "c0")
    base_rss = rss_kb("VmRSS")
    out: dict = {"n": n, "backend": backend, "ticks": {}}
    during: list[float] = []
    for job, hh, mm in TICKS:
        clock.set(datetime.combine(FRIDAY, datetime.min.time().replace(hour=hh, minute=mm), tzinfo=SH))
        stop = asyncio.Event()
        cpu0, t0 = cpu_seconds(), time.perf_counter()
        tick = asyncio.ensure_future(sweep.run())
        commands = asyncio.ensure_future(probe(core, people, stop, 0, f"{job}-p", waited))
        ran = await tick
        wall = time.perf_counter() - t0
        stop.set()
        samples = await commands
        cpu = cpu_seconds() - cpu0
        assert ran == 1, (job, ran)
        during += samples
        out["ticks"][job] = {"wall_s": wall, "cpu_s": cpu, "commands": len(samples),
                             "max_ms": max(samples) * 1000, **chunks.take()}
    control += await probe(core, people, None, CONTROL // 2, "c1")
    async with db.uow() as uow:
        out["outbox"] = (await uow.execute(text("SELECT count(*) FROM outbox_message"))).scalar_one()
    out.update(base_rss_mb=base_rss / 1024, peak_rss_mb=rss_kb("VmHWM") / 1024,
               during=quantiles(during), control=quantiles(control),
               lock_wait=quantiles(waited) if waited else None)
    await db.dispose()
    return out


def quantiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"n": len(ordered), "p50": statistics.median(ordered) * 1000, "p99": pick(0.99),
            "max": ordered[-1] * 1000}


def run_size(backend: str, n: int, *, seed_only: bool = False) -> dict | None:
    """Seed `n` requests in a fresh database and measure the ticks in a second process; with
    `seed_only`, keep the seeded database (a PostgreSQL schema or a SQLite file, named on
    stderr) for `--measure` or EXPLAIN, and measure nothing."""
    me = [sys.executable, __file__]
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite":
            where = str(Path(os.getcwd() if seed_only else tmp) / f"ticks_{n}_{uuid.uuid4().hex[:6]}.db")
        else:
            where = "bench_" + uuid.uuid4().hex[:10]
            engine = create_engine(sync_url(PG_URL))
            with engine.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {where}"))
        try:
            subprocess.run(me + ["--seed", backend, where, str(n)], check=True)
            if seed_only:
                print(f"seeded {n:,} requests: --measure {backend} {where} {n}", file=sys.stderr)
                return None
            done = subprocess.run(me + ["--measure", backend, where, str(n)], check=True,
                                  stdout=subprocess.PIPE, text=True)
            return json.loads(done.stdout.strip().splitlines()[-1])
        finally:
            if backend == "postgresql":
                if not seed_only:
                    with engine.begin() as conn:
                        conn.execute(text(f"DROP SCHEMA {where} CASCADE"))
                engine.dispose()


def table(results: list[dict]) -> None:
    print("| backend | open requests | digest | weekly | remind | summary + boards | all ticks per request (CPU) "
          "| a chunk per request, first → last tenth: digest · weekly · remind · summary "
          "| peak RSS (at start) | command during ticks p50 / p99 / max | control p50 / p99 / max "
          "| its wait for SQLite's writer p50 / p99 / max | messages |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        t = r["ticks"]
        total, cpu = (sum(v[k] for v in t.values()) for k in ("wall_s", "cpu_s"))
        d, c = r["during"], r["control"]
        tenths = " · ".join(f"{t[j]['first_ms']:.2f} → {t[j]['last_ms']:.2f}" for j, *_ in TICKS)
        print(f"| {r['backend']} | {r['n']:,} | " + " | ".join(f"{t[j]['wall_s']:.2f} s" for j, *_ in TICKS)
              + f" | {total / r['n'] * 1000:.3f} ms ({cpu / r['n'] * 1000:.2f}) | {tenths} ms"
              f" | {r['peak_rss_mb']:.0f} MB ({r['base_rss_mb']:.0f})"
              f" | {d['p50']:.0f} / {d['p99']:.0f} / {d['max']:.0f} ms (n={d['n']})"
              f" | {c['p50']:.0f} / {c['p99']:.0f} / {c['max']:.0f} ms (n={c['n']})"
              f" | {_wait(r.get('lock_wait'))} | {r['outbox']:,} |")


def _wait(w: dict | None) -> str:
    return f"{w['p50']:.0f} / {w['p99']:.0f} / {w['max']:.0f} ms" if w else "—"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", nargs=3)
    parser.add_argument("--measure", nargs=3)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--backends", default=",".join(["sqlite"] + (["postgresql"] if PG_URL else [])))
    parser.add_argument("--seed-only", action="store_true",
                        help="seed each size and keep its database for --measure / EXPLAIN")
    args = parser.parse_args()
    if args.seed:
        backend, where, n = args.seed
        asyncio.run(seed(backend, where, int(n)))
        return
    if args.measure:
        backend, where, n = args.measure
        print(json.dumps(asyncio.run(measure(backend, where, int(n)))))
        return
    results = []
    for backend in args.backends.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            result = run_size(backend, n, seed_only=args.seed_only)
            if result is not None:
                results.append(result)
                print(json.dumps(result), file=sys.stderr)
    if results:
        table(results)


if __name__ == "__main__":
    main()
