"""`collab-bot db upgrade` builds exactly the schema the models describe (Alembic head == models)."""
from __future__ import annotations

import asyncio
from urllib.parse import quote

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

import storage.tables  # noqa: F401
from storage.db import sync_url
from storage.migrate import upgrade


async def test_upgrade_creates_the_models_schema_and_is_idempotent(database_url):
    url, schema = database_url
    if schema:
        url = f"{url}?options={quote(f'-csearch_path={schema}')}"
    await asyncio.to_thread(upgrade, url)
    await asyncio.to_thread(upgrade, url)  # a second upgrade is a no-op, not an error
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert diff == []
    assert {"collab_request", "audit_event", "outbox_message", "timer", "processed_event", "job_run"} <= tables
