"""Outbox claim at 100,000 open rows (issue 15): the time of one claim of 64 conversation
heads, the new index-driven claim beside the old GROUP BY claim (the control) in the same
window, with and without fresh planner statistics, plus the new claim's EXPLAIN ANALYZE.

Shapes of the open queue (the 64 oldest heads already `sending`, as in steady delivery):
- digest:     100,000 chats, one row each (a 12:00 digest to every request's chat)
- interleave: 1,000 chats × 100 rows, inserted round-robin
- blocks:     1,000 chats × 100 rows, inserted chat after chat (the worst order for an id scan)
- one-chat:   1 chat × 100,000 rows
Run: `python bench/bench_claim.py [rows]` (PostgreSQL too when TEST_DATABASE_URL is set).
"""
from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from sqlalchemy import func, text  # noqa: E402
from sqlalchemy.dialects import postgresql, sqlite  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench.common import backends, fresh_db  # noqa: E402
from bot import outbox_claim  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.tables import OutboxMessage, Workspace  # noqa: E402

NOW = datetime(2026, 7, 1, 4, 0, tzinfo=timezone.utc)
BATCH = 64
SHAPES = {"digest": lambda i, n: (i, 0), "interleave": lambda i, n: (i % 1000, 0),
          "blocks": lambda i, n: (i // (n // 1000), 0), "one-chat": lambda i, n: (0, 0)}


def old_claim(*, now: datetime, limit: int, postgres: bool):
    """The claim before issue 15 (control): every open row grouped to find the heads."""
    o = OutboxMessage
    heads = (select(func.min(o.id)).where(o.state.in_(("pending", "sending")))
             .group_by(o.workspace_id, o.platform, o.conversation))
    stmt = select(o).where(o.id.in_(heads), o.state.in_(("pending", "sending")),
                           o.next_attempt_at <= now).order_by(o.id).limit(limit)
    return stmt.with_for_update(skip_locked=True, of=o) if postgres else stmt


async def seed(db: Database, shape: str, rows: int) -> None:
    chat_of = SHAPES[shape]
    async with db.uow() as uow:
        uow.add(Workspace(id="b:ws", platform="fake", external_id="W"))
    chats = ",".join(f"('C{chat_of(i, rows)[0]}')" for i in range(rows))
    # one INSERT … SELECT per backend: 100k rows in a second or two
    async with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            await conn.execute(text(
                "INSERT INTO outbox_message (workspace_id, platform, conversation, kind, card_key,"
                " payload, state, attempts, next_attempt_at, created_at, last_error,"
                " platform_message_id, lease_owner) SELECT 'b:ws', 'fake', c, 'post', '',"
                " '{\"text\": \"x\"}', 'pending', 0, :now, :now, '', '', '' FROM unnest(CAST(:chats AS text[]))"
                " WITH ORDINALITY AS t(c, n) ORDER BY n"),
                {"now": NOW, "chats": [f"C{chat_of(i, rows)[0]}" for i in range(rows)]})
        else:
            await conn.exec_driver_sql("CREATE TEMP TABLE chats (c TEXT)")
            await conn.exec_driver_sql(f"INSERT INTO chats (c) VALUES {chats}")
            await conn.execute(text(
                "INSERT INTO outbox_message (workspace_id, platform, conversation, kind, card_key,"
                " payload, state, attempts, next_attempt_at, created_at, last_error,"
                " platform_message_id, lease_owner) SELECT 'b:ws', 'fake', c, 'post', '',"
                " '{\"text\": \"x\"}', 'pending', 0, :now, :now, '', '', '' FROM chats"
                " ORDER BY rowid"), {"now": NOW.strftime("%Y-%m-%d %H:%M:%S.%f")})
    # steady delivery: the first batch of heads is in flight
    await outbox_claim.claim(db, now=NOW, limit=BATCH, lease_seconds=600, owner="bench",
                             platforms=["fake"])


async def timed(db: Database, make, *, repeat: int) -> float:
    """Median ms of the statement (`make` gives it and its parameters) inside a transaction
    that is rolled back (same state)."""
    times = []
    for _ in range(repeat):
        async with db.engine.connect() as conn:
            trans = await conn.begin()
            if db.dialect == "postgresql" and make is new_claim:
                await conn.execute(outbox_claim._PLAN)
            elif db.dialect == "postgresql":
                await conn.exec_driver_sql("SET LOCAL statement_timeout = '60s'")
            started = time.perf_counter()
            try:
                (await conn.execute(*make(postgres=db.dialect == "postgresql"))).all()
            except Exception:  # noqa: BLE001 — the control gave up after 60 s
                times.append(float("inf"))
                await trans.rollback()
                continue
            times.append((time.perf_counter() - started) * 1000)
            await trans.rollback()
    return statistics.median(times)


def new_claim(*, postgres: bool):
    return outbox_claim._due_heads(platform="fake", now=NOW, limit=BATCH, exclude=(),
                                   postgres=postgres)


async def explain(db: Database) -> str:
    dialect = postgresql.dialect() if db.dialect == "postgresql" else sqlite.dialect()
    stmt, params = new_claim(postgres=db.dialect == "postgresql")
    sql = str(stmt.params(params).compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if db.dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    async with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            await conn.execute(outbox_claim._PLAN)
        rows = (await conn.exec_driver_sql(prefix + sql)).all()
        await conn.rollback()
    return "\n".join(" | ".join(str(c) for c in r) for r in rows)


async def one(backend: str, shape: str, rows: int, show_plan: bool) -> None:
    async with fresh_db(backend) as db:
        if db.dialect == "postgresql":
            async with db.engine.begin() as conn:
                for table in ("outbox_message", "outbox_chat"):
                    await conn.exec_driver_sql(
                        f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        await seed(db, shape, rows)
        if show_plan:
            print("no statistics:\n```\n" + await explain(db) + "\n```", flush=True)
        cold_new = await timed(db, new_claim, repeat=5)  # no ANALYZE yet: stale statistics
        cold_old = await timed(db, lambda postgres: (old_claim(now=NOW, limit=BATCH,
                                                               postgres=postgres), None), repeat=1)
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE outbox_message; ANALYZE outbox_chat" if db.dialect == "postgresql"
                                       else "ANALYZE")
        warm_new = await timed(db, new_claim, repeat=5)
        warm_old = await timed(db, lambda postgres: (old_claim(now=NOW, limit=BATCH,
                                                               postgres=postgres), None), repeat=1)
        print(f"| {backend} | {shape} | {rows:,} | {cold_new:.2f} | {warm_new:.2f} | "
              f"{cold_old:.1f} | {warm_old:.1f} | {warm_old / max(warm_new, 1e-6):.0f}× |",
              flush=True)
        if show_plan:
            print("analyzed:\n```\n" + await explain(db) + "\n```", flush=True)


async def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print("| backend | shape | open rows | new claim ms (no stats) | new claim ms (analyzed) |"
          " old claim ms (no stats) | old claim ms (analyzed) | old/new |")
    print("|---|---|---|---|---|---|---|---|")
    for backend in backends():
        for shape in SHAPES:
            await one(backend, shape, rows, show_plan=shape == "digest"
                      and backend == "postgresql")


if __name__ == "__main__":
    asyncio.run(main())
