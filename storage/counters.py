"""Numbers handed out under a row lock: `UPDATE counter SET value = value + 1 … RETURNING value`.

Reading every number of the workspace to pick the next one cost O(requests) per filing and let
two concurrent filings on PostgreSQL pick the same number (issue 14/15). The UPDATE takes the
counter row's lock until the caller's transaction ends, so concurrent callers queue on it and
each gets its own value; a rolled-back transaction gives its value back (no gaps). SQLite ≥ 3.35
and PostgreSQL both support RETURNING; SQLite writers are serialised anyway.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from sqlalchemy import func, select, update

from storage.db import UnitOfWork
from storage.tables.counter import Counter

Seed = Callable[[], Awaitable[int]]


async def next_value(uow: UnitOfWork, *, workspace_id: str, name: str, seed: Seed | None = None) -> int:
    """The next value of `name` in `workspace_id` (1, 2, 3 …). `seed` gives the value already
    used when the counter does not exist yet (rows from before counters): it runs once per
    counter, never on the hot path."""
    table = Counter.__table__  # type: ignore[attr-defined]
    bump = (update(table).where(table.c.workspace_id == workspace_id, table.c.name == name)
            .values(value=table.c.value + 1).returning(table.c.value))
    for _ in range(3):
        value = (await uow.execute(bump)).scalar_one_or_none()
        if value is not None:
            return int(value)
        start = (await seed()) if seed is not None else 0
        created = (await uow.execute(
            uow.upsert(table).values(workspace_id=workspace_id, name=name, value=start + 1)
            .on_conflict_do_nothing().returning(table.c.value))).scalar_one_or_none()
        if created is not None:
            return int(created)
        # a concurrent transaction created it first (and has committed): bump that row
    raise RuntimeError(f"counter {workspace_id}/{name} could not be taken")


async def max_of(uow: UnitOfWork, column: Any, *where: Any) -> int:
    """The largest value of `column` among the rows matching `where` (0 if none): a seed."""
    return int((await uow.execute(select(func.max(column)).where(*where))).scalar_one_or_none() or 0)


async def add(uow: UnitOfWork, *, workspace_id: str, name: str, amount: int) -> int:
    """Add `amount` to `name` (created at 0) and return the new total: usage counted by several
    processes at once (DingTalk's monthly API calls), each adding what it used."""
    table = Counter.__table__  # type: ignore[attr-defined]
    upsert = uow.upsert(table).values(workspace_id=workspace_id, name=name, value=amount)
    upsert = upsert.on_conflict_do_update(index_elements=[table.c.workspace_id, table.c.name],
                                          set_={"value": table.c.value + amount})
    return int((await uow.execute(upsert.returning(table.c.value))).scalar_one())
