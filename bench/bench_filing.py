"""Filing a request is O(1) in the number of requests (issues 14/15 benchmark).

Two databases side by side, one holding 1,000 requests of the workspace and one 100,000; the
same filings (`/collab new …` through the real core: number, request row, audit, outbox card)
alternate between them, so machine load hits both alike. The control, in the same window, is
what the number cost before the counter: reading every number of the workspace (the query the
old `_number` ran on each filing).

Run: `python bench/bench_filing.py` (PostgreSQL too when TEST_DATABASE_URL is set).
"""
from __future__ import annotations

import asyncio
import statistics
import sys
from contextlib import AsyncExitStack
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench.common import CHUNK, backends, cpu_seconds, demo_org, fresh_db, timed  # noqa: E402
from storage.tables import CollaborationRequest, Department, Person  # noqa: E402
from workflows.clock import VirtualClock  # noqa: E402
from workflows.events import CommandInvoked, Tenant  # noqa: E402

NOW = datetime(2026, 7, 14, 2, 0, tzinfo=timezone.utc)  # Tue 10:00 Asia/Shanghai
SIZES = (1_000, 100_000)
FILINGS = 200
TEXT = "new\ntitle: 详情页{n}\ngoal: 提升转化率\ndepts: 技术部\ndue: 8/15\nstandard: 加载≤2秒"


async def seed_requests(db, n: int) -> None:
    async with db.uow() as uow:
        product = (await uow.first(select(Department.id).where(Department.name == "产品部")))
        sun = (await uow.first(select(Person.id).where(Person.key == "sun")))
    rows = [dict(workspace_id="local:demo", number=f"XT-2025-{i:06d}", title=f"需求{i}", initiating_department_id=product,
                 initiator_id=sun, conversation=f"g{i % 50}", collaborating=[], content={}, milestones=[],
                 contacts={}, lessons=[], received={}, state="in_progress", created_at=NOW, updated_at=NOW)
            for i in range(1, n + 1)]
    for start in range(0, n, CHUNK):
        async with db.uow() as uow:
            await uow.session.execute(insert(CollaborationRequest), rows[start:start + CHUNK])
    if db.dialect == "postgresql":
        async with db.uow() as uow:
            await uow.session.execute(text("ANALYZE"))


async def compare(backend: str) -> dict[int, dict[str, float]]:
    async with AsyncExitStack() as stack:
        cores = {}
        for n in SIZES:
            db = await stack.enter_async_context(fresh_db(backend))
            core, _ = await demo_org(db, VirtualClock(NOW))
            await seed_requests(db, n)
            await core.handle(CommandInvoked(tenant=Tenant("local", "demo"), actor="sun", conversation="g1",
                                             event_id="warm", text=TEXT.format(n="warm")))  # creates the counter
            cores[n] = core
        wall: dict[int, list[float]] = {n: [] for n in SIZES}
        cpu: dict[int, list[float]] = {n: [] for n in SIZES}
        old: dict[int, list[float]] = {n: [] for n in SIZES}
        for i in range(FILINGS):
            for n in SIZES:
                event = CommandInvoked(tenant=Tenant("local", "demo"), actor="sun", conversation="g1",
                                       event_id=f"f{i}", text=TEXT.format(n=i))
                before = cpu_seconds()
                took, reply = await timed(lambda: cores[n].handle(event))
                cpu[n].append(cpu_seconds() - before)
                assert reply.ok, reply.text  # type: ignore[attr-defined]
                wall[n].append(took)

                async def read_all_numbers(core=cores[n]) -> None:
                    async with core.db.uow() as uow:
                        await uow.all(select(CollaborationRequest.number).where(
                            CollaborationRequest.workspace_id == "local:demo"))
                if i % 10 == 0:
                    old[n].append((await timed(read_all_numbers))[0])
        return {n: {"file_ms": statistics.median(wall[n]) * 1000, "cpu_ms": statistics.mean(cpu[n]) * 1000,
                    "old_ms": statistics.median(old[n]) * 1000} for n in SIZES}


async def main() -> None:
    print(f"| backend | requests in the workspace | filing (median of {FILINGS}) | bot CPU per filing "
          "| control: reading every number (the old way) |")
    print("|---|---|---|---|---|")
    for backend in backends():
        r = await compare(backend)
        for n in SIZES:
            print(f"| {backend} | {n:,} | {r[n]['file_ms']:.2f} ms | {r[n]['cpu_ms']:.2f} ms | {r[n]['old_ms']:.2f} ms |")
        small, big = r[SIZES[0]], r[SIZES[1]]
        print(f"| {backend} | ratio 100k / 1k | **{big['file_ms'] / small['file_ms']:.2f}×** | "
              f"**{big['cpu_ms'] / small['cpu_ms']:.2f}×** | {big['old_ms'] / small['old_ms']:.1f}× |")


if __name__ == "__main__":
    asyncio.run(main())
