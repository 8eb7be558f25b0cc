"""SQLite's transaction in few thread hops (`storage/sqlite_driver.py`) without giving up what
`BEGIN IMMEDIATE` guarantees: a read-check-write cannot interleave with another writer."""
from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timezone

import aiosqlite
import pytest
from sqlmodel import select

from storage.db import Database
from storage.tables import AuditEvent, Workspace

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
async def sqlite_db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'collab.db'}")
    await database.create_all()
    async with database.uow() as uow:
        uow.add(Workspace(id="local:x", platform="local", external_id="x"))
    yield database
    await database.dispose()


@pytest.fixture
def hops(monkeypatch) -> Counter[str]:
    """Every call onto aiosqlite's worker thread, by what ran there."""
    seen: Counter[str] = Counter()
    real = aiosqlite.Connection._execute

    async def counting(self, fn, *args, **kwargs):
        seen[getattr(fn, "__name__", "?")] += 1
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return seen


async def test_an_event_shaped_transaction_takes_one_hop_per_read_and_one_for_its_end(sqlite_db, hops):
    """A read, a change and appended rows: BEGIN rides with the read, the appended INSERTs
    with the COMMIT, and the pool's reset after a commit makes no hop (it was ten for a click)."""
    async with sqlite_db.uow() as uow:
        ws = await uow.get(Workspace, "local:x")
        ws.org_version += 1
        uow.append(AuditEvent, workspace_id="local:x", action="a", at=NOW)
        uow.append(AuditEvent, workspace_id="local:x", action="b", at=NOW)
    assert sum(hops.values()) == 3, hops  # SELECT (+BEGIN), UPDATE, INSERTs + COMMIT
    async with sqlite_db.uow() as uow:
        assert [a for (a,) in await uow.all(select(AuditEvent.action))] == ["a", "b"]
        assert (await uow.get(Workspace, "local:x")).org_version == 1


async def test_a_reader_holds_the_write_lock_from_its_first_statement(sqlite_db, tmp_path):
    """BEGIN IMMEDIATE is still taken with the transaction's first read: another writer (here a
    second process's Database on the same file) waits until the first commits, so what the
    first read cannot change under it."""
    other = Database(f"sqlite:///{tmp_path / 'collab.db'}")
    try:
        release = asyncio.Event()

        async def first() -> None:
            async with sqlite_db.uow() as uow:
                ws = await uow.get(Workspace, "local:x")
                await release.wait()
                ws.org_version = 10

        async def second() -> None:
            async with other.uow() as uow:
                (await uow.get(Workspace, "local:x")).org_version += 1

        holder = asyncio.create_task(first())
        await asyncio.sleep(0.2)
        waiter = asyncio.create_task(second())
        await asyncio.sleep(0.5)
        assert not waiter.done()  # waiting for the first transaction's lock
        release.set()
        await asyncio.wait_for(asyncio.gather(holder, waiter), 10)
        async with sqlite_db.uow() as uow:
            assert (await uow.get(Workspace, "local:x")).org_version == 11
    finally:
        await other.dispose()


async def test_a_failing_appended_row_rolls_back_the_whole_transaction(sqlite_db, hops):
    """The deferred INSERTs run in the COMMIT's hop; one refused there takes the transaction
    with it, and the connection is clean for the next one."""
    from sqlalchemy.exc import IntegrityError

    from storage.tables import ProcessedEvent

    with pytest.raises(IntegrityError):
        async with sqlite_db.uow() as uow:
            (await uow.get(Workspace, "local:x")).org_version = 5
            uow.append(ProcessedEvent, platform="local", event_id="e1", at=NOW)
            uow.append(ProcessedEvent, platform="local", event_id="e1", at=NOW)
    async with sqlite_db.uow() as uow:
        assert (await uow.get(Workspace, "local:x")).org_version == 0
        assert await uow.all(select(ProcessedEvent)) == []
        uow.append(ProcessedEvent, platform="local", event_id="e1", at=NOW)
    async with sqlite_db.uow() as uow:
        assert len(await uow.all(select(ProcessedEvent))) == 1


async def test_a_transaction_of_appended_rows_alone_is_still_one_transaction(sqlite_db, hops):
    """Nothing read first, so BEGIN goes with the deferred INSERTs themselves: without it each
    table's rows would commit on their own and a refused row would leave the others behind."""
    from sqlalchemy.exc import IntegrityError

    from storage.tables import ProcessedEvent

    with pytest.raises(IntegrityError):
        async with sqlite_db.uow() as uow:
            uow.append(AuditEvent, workspace_id="local:x", action="a", at=NOW)
            uow.append(ProcessedEvent, platform="local", event_id="e1", at=NOW)
            uow.append(ProcessedEvent, platform="local", event_id="e1", at=NOW)
    assert sum(hops.values()) == 1, hops  # BEGIN, the INSERTs and the ROLLBACK: one hop
    async with sqlite_db.uow() as uow:
        assert await uow.all(select(AuditEvent)) == []
