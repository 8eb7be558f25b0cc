"""Each conversation's queue head (issue 15): a new outbox row becomes its chat's head only when
the chat has nothing open — whether the schema came from the models or from the migrations —
and on PostgreSQL two writers to one chat queue on the chat's row, so the order a chat's rows go
out in is the order their transactions committed."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
from sqlmodel import select

from storage.db import Database
from storage.migrate import upgrade
from storage.tables import OutboxChat, OutboxMessage, Workspace

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)


def row(chat: str, label: str) -> OutboxMessage:
    return OutboxMessage(workspace_id="w", platform="fake", conversation=chat, kind="post",
                         payload={"text": label}, next_attempt_at=T0, created_at=T0)


async def heads(db: Database) -> dict[str, int | None]:
    async with db.uow() as uow:
        return {h.conversation: h.head_id for h in await uow.all(select(OutboxChat))}


@pytest.mark.parametrize("schema_from", ["models", "migrations"])
async def test_the_first_open_row_of_a_chat_is_its_head(database_url, schema_from):
    url, schema = database_url
    if schema_from == "migrations":
        migrate_url = f"{url}?options={quote(f'-csearch_path={schema}')}" if schema else url
        await asyncio.to_thread(upgrade, migrate_url)
    db = Database(url, schema=schema)
    try:
        if schema_from == "models":
            await db.create_all()
        async with db.uow() as uow:
            uow.add(Workspace(id="w", platform="fake", external_id="W"))
            uow.add(row("A", "a1"))
            uow.append(OutboxMessage, **row("A", "a2").model_dump(exclude={"id"}))
            uow.append(OutboxMessage, **row("B", "b1").model_dump(exclude={"id"}))
        async with db.uow() as uow:
            ids = {r.payload["text"]: r.id for r in await uow.all(select(OutboxMessage))}
        assert await heads(db) == {"A": ids["a1"], "B": ids["b1"]}
    finally:
        await db.dispose()


async def test_a_chat_row_written_by_a_later_transaction_waits_for_the_earlier_one(
        db, database_url):
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises every writer already")
    async with db.uow() as uow:
        uow.add(Workspace(id="w", platform="fake", external_id="W"))
    async with db.engine.connect() as first, db.engine.connect() as second:
        await first.begin()
        await first.execute(OutboxMessage.__table__.insert(), [row("A", "first").model_dump(
            exclude={"id"})])
        await second.begin()
        await second.exec_driver_sql("SET LOCAL lock_timeout = '300ms'")
        with pytest.raises(Exception, match="lock"):  # queued behind the first writer
            await second.execute(OutboxMessage.__table__.insert(), [row("A", "second")
                                                                     .model_dump(exclude={"id"})])
        await second.rollback()
        await first.commit()
    async with db.uow() as uow:
        (head,) = await uow.all(select(OutboxChat))
        first_row = await uow.get(OutboxMessage, head.head_id)
    assert first_row.payload["text"] == "first"
