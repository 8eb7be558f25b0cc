"""Shared fixtures: every storage test runs on SQLite, and on PostgreSQL too when
`TEST_DATABASE_URL` is set (each test in a schema of its own, dropped afterwards)."""
from __future__ import annotations

import asyncio
import inspect
import io
import os
import sys
import uuid
from pathlib import Path
from typing import AsyncIterator

import pytest
from sqlalchemy import create_engine, text

from storage.db import Database, sync_url

# the platforms' fakes and drivers (tests/adapters/<platform>/*.py) import by module name from
# any test folder, like `harness`: `from slack_support import …`, `from drivers import …`
ADAPTER_TESTS = Path(__file__).parent / "adapters"
sys.path[1:1] = [str(d) for d in sorted(ADAPTER_TESTS.iterdir()) if d.is_dir() and d.name != "__pycache__"]
sys.path.insert(1, str(ADAPTER_TESTS))

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
LEFTOVER_SECONDS = 20


@pytest.fixture(autouse=True)
def leftover_tasks_checked(request: pytest.FixtureRequest) -> None:
    """For async tests only: a sync test may keep a loop of its own running (Playwright's sync
    API does), where no async fixture can run."""
    if inspect.iscoroutinefunction(getattr(request, "function", None)):
        request.getfixturevalue("no_task_outlives_its_test")


@pytest.fixture
async def no_task_outlives_its_test() -> AsyncIterator[None]:
    """After every other fixture of the test is torn down: tasks still running on its loop are
    cancelled here and given `LEFTOVER_SECONDS` to end. One that does not is named with its stack
    and fails the test. (Session 5 saw three runs hang for pytest-timeout's 300 s while the loop's
    own teardown waited, with no timer, for a task that ignored its cancel — and learnt nothing
    about which.)"""
    yield
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in left:
        task.cancel()
    if not left:
        return
    _done, stuck = await asyncio.wait(left, timeout=LEFTOVER_SECONDS)
    if stuck:
        stacks = io.StringIO()
        for task in stuck:
            task.print_stack(file=stacks)
            # out of the loop's own teardown, which would wait for it again, for ever
            asyncio.tasks._unregister_task(task)
        pytest.fail(f"{len(stuck)} task(s) did not end {LEFTOVER_SECONDS} s after their cancel:\n"
                    f"{stacks.getvalue()}")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path) -> tuple[str, str | None]:
    """(url, schema) of an empty database for this test."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'collab.db'}", None
    schema = "t_" + uuid.uuid4().hex[:12]
    engine = create_engine(sync_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    request.addfinalizer(lambda: _drop_schema(engine, schema))
    return PG_URL, schema


def _drop_schema(engine, schema: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


@pytest.fixture
async def db(database_url: tuple[str, str | None]) -> AsyncIterator[Database]:
    url, schema = database_url
    database = Database(url, schema=schema)
    await database.create_all()
    yield database
    await database.dispose()


@pytest.fixture
async def platform(database_url: tuple[str, str | None]):
    """The local platform over real HTTP, the demo org, a virtual clock at Mon 2026-07-13 10:00
    Asia/Shanghai (a working day)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from harness import start_platform, stop_platform

    url, schema = database_url
    started = await start_platform(url, schema, start=datetime(2026, 7, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    yield started[0]
    await stop_platform(*started)
