"""Shared bench helpers: a fresh database (SQLite file, or a PostgreSQL schema when
`TEST_DATABASE_URL` / `BENCH_DATABASE_URL` is set), the demo org, bulk-seeded open work."""
from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable, Iterator

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.app import DEMO_ORG, load_org_file
from storage.db import Database, sync_url
from storage.tables import CollaborationRequest, Department, Issue, Person, Task, Timer
from workflows.core import Core

PG_URL = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL", "")
CHUNK = 5_000


def backends() -> list[str]:
    return ["sqlite"] + (["postgresql"] if PG_URL else [])


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A whole new PostgreSQL database (its URL), dropped afterwards: for benches whose bot
    runs as `collab-bot serve` processes, which take a `DATABASE_URL` and nothing else."""
    name = "bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(sync_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@asynccontextmanager
async def fresh_db(backend: str) -> AsyncIterator[Database]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
            await db.create_all()
            try:
                yield db
            finally:
                await db.dispose()
        return
    with fresh_pg_schema() as schema:
        db = Database(PG_URL, schema=schema)
        await db.create_all()
        try:
            yield db
        finally:
            await db.dispose()


@contextmanager
def fresh_pg_schema() -> Iterator[str]:
    """A new schema in the PostgreSQL database (its name), dropped with everything in it
    afterwards: for benches whose worker processes open `Database(url, schema=…)` themselves."""
    schema = "bench_" + uuid.uuid4().hex[:10]
    engine = create_engine(sync_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield schema
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


async def demo_org(db: Database, clock) -> tuple[Core, str]:
    core = Core(db=db, clock=clock)
    return core, await core.import_org(load_org_file(DEMO_ORG))


async def _bulk(db: Database, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with db.uow() as uow:
            await uow.session.execute(insert(table), rows[start:start + CHUNK])


async def seed_open_work(db: Database, *, workspace_id: str, n: int, now: datetime,
                         due_issues: int = 0) -> None:
    """`n` open requests, each with a task and an urgent open issue, and a pending timer per
    issue due weeks ahead (the open work a sweep must NOT pay for); plus `due_issues` more
    urgent issues whose 2-hour timer (R14) is due now."""
    async with db.uow() as uow:
        depts = {d.name: d.id for d in await uow.all(select(Department))}
        people = {p.key: p.id for p in await uow.all(select(Person))}
    tech, product = depts["技术部"], depts["产品部"]
    total = n + due_issues
    await _bulk(db, CollaborationRequest, [dict(
        id=i, workspace_id=workspace_id, number=f"XT-B-{i:06d}", title=f"需求{i}",
        initiating_department_id=product, initiator_id=people["sun"], conversation=f"g{i % 50}",
        collaborating=[tech], content={}, milestones=[], contacts={}, lessons=[], received={},
        state="in_progress", created_at=now, updated_at=now) for i in range(1, total + 1)])
    await _bulk(db, Task, [dict(
        id=i, request_id=i, title="页面开发", lead_department_id=tech, owner_id=people["zheng"],
        consulted=[], informed=[], supporting=[], status="in_progress")
        for i in range(1, total + 1)])
    await _bulk(db, Issue, [dict(
        id=i, request_id=i, description="接口超时", departments=[tech], severity="high",
        urgent=True, responsible_department_id=tech, owner_id=people["wu"],
        raised_by=people["lin"], raised_at=now, state="open") for i in range(1, total + 1)])
    await _bulk(db, Timer, [dict(
        workspace_id=workspace_id, kind="issue.escalate_head", subject=f"issue:{i}",
        request_id=i, due_at=now + timedelta(days=7, seconds=i), payload={"issue": i},
        state="pending", created_at=now, attempts=0, last_error="")
        for i in range(1, n + 1)])
    await _bulk(db, Timer, [dict(
        workspace_id=workspace_id, kind="issue.escalate_head", subject=f"issue:{i}",
        request_id=i, due_at=now - timedelta(seconds=1), payload={"issue": i},
        state="pending", created_at=now, attempts=0, last_error="")
        for i in range(n + 1, total + 1)])
    if db.dialect == "postgresql":
        async with db.uow() as uow:
            await uow.session.execute(text("ANALYZE"))


async def timed(fn: Callable[[], Awaitable[object]]) -> tuple[float, object]:
    start = time.perf_counter()
    result = await fn()
    return time.perf_counter() - start, result


async def median_time(fn: Callable[[], Awaitable[object]], *, runs: int = 30) -> float:
    samples = [(await timed(fn))[0] for _ in range(runs)]
    return statistics.median(samples)


def cpu_seconds() -> float:
    """This process's CPU time (user + system) from /proc/self/stat: what an operation costs
    the bot, whatever else the shared machine is doing."""
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def statements(db: Database) -> dict[str, list[float]]:
    """Every statement a server sends, by kind and table (`INSERT audit_event`): [count,
    seconds in the driver], plus COMMIT's count — for a bench to dump when its server stops."""
    from sqlalchemy import event

    counts: dict[str, list[float]] = {}
    verb = re.compile(r"^\s*(\w+)")
    table = {"SELECT": re.compile(r"\bFROM\s+\"?(\w+)", re.I),
             "INSERT": re.compile(r"\bINTO\s+\"?(\w+)", re.I),
             "UPDATE": re.compile(r"^\s*UPDATE\s+\"?(\w+)", re.I)}

    def before(conn, _cursor, statement: str, *_args) -> None:
        m = verb.match(statement)
        kind = m.group(1).upper() if m else "?"
        found = table[kind].search(statement) if kind in table else None
        conn.info["bench.statement"] = (f"{kind} {found.group(1)}" if found else kind,
                                        time.perf_counter())

    def after(conn, *_args) -> None:
        key, started = conn.info.pop("bench.statement", ("?", time.perf_counter()))
        entry = counts.setdefault(key, [0, 0.0])
        entry[0] += 1
        entry[1] += time.perf_counter() - started

    def commit(_conn) -> None:
        counts.setdefault("COMMIT", [0, 0.0])[0] += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    event.listen(db.engine.sync_engine, "after_cursor_execute", after)
    event.listen(db.engine.sync_engine, "commit", commit)
    return counts


def report_statements(counts: dict[str, list[float]], *, clicks: int) -> None:
    """Statements per click (delivery of its outbox rows included) and their driver time."""
    n = max(clicks, 1)
    total = sum(c for k, (c, _s) in counts.items() if k != "COMMIT")
    print(f"  statements per click: {total / n:.1f} (+ {counts.get('COMMIT', [0])[0] / n:.1f} "
          f"commits), over {clicks} clicks — count, driver ms per click:", file=sys.stderr)
    for key, (c, secs) in sorted(counts.items(), key=lambda kv: -kv[1][1]):
        print(f"    {c / n:6.2f}  {1000 * secs / n:6.2f} ms  {key}", file=sys.stderr)
