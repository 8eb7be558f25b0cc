"""Statements the unit of work runs on every event, built once (issue 15: building a statement
afresh — coercions, cache key — cost more CPU than its round trip), and the shape of an appended
row."""
from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel, select


def upsert_of(dialect: str, table: Any) -> Any:
    """An INSERT of `dialect`'s kind, the one that has `on_conflict_do_nothing` /
    `on_conflict_do_update` (both SQLite and PostgreSQL spell them the same) — also for a
    statement built once per dialect (`workflows/core._record_event`)."""
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


@functools.cache
def appending(table: Any) -> Any:
    """The INSERT of an append-only table's rows (`UnitOfWork.append`): nothing read back."""
    return insert(table).inline()


@functools.cache
def sqlite_appending(table: Any, keys: tuple[str, ...], dialect: Any) -> tuple[str, tuple[Any, ...]]:
    """`appending(table)` as SQLite's SQL and, per positional parameter, its column and bind
    processor (JSON, UTC datetimes): SQLAlchemy's own compilation, done once, so an appended
    row becomes sqlite3 parameters without a pass through its execution machinery — ~0.1 ms a
    statement (issue 15). `_bind_processors` and `positiontup` are what its execution context
    reads for the same job."""
    compiled = appending(table).compile(dialect=dialect, column_keys=list(keys))
    processors = compiled._bind_processors
    return compiled.string, tuple((name, processors.get(name)) for name in compiled.positiontup)


def sqlite_rows(table: Any, batch: list[dict[str, Any]], dialect: Any
                  ) -> tuple[str, list[tuple[Any, ...]]]:
    """Appended rows of one table (`row_of` shaped) as SQLite's INSERT and sqlite3's parameters."""
    sql, binds = sqlite_appending(table, tuple(batch[0]), dialect)
    return sql, [tuple(row[name] if process is None else process(row[name]) for name, process in binds)
                 for row in batch]


@functools.cache
def locking(model: type[SQLModel]) -> Any:
    """A row by its primary key (`:pk`), locked for update on PostgreSQL (`UnitOfWork.lock`)."""
    pk = list(model.__table__.primary_key.columns)[0]  # type: ignore[attr-defined]
    # populate_existing: a copy already in the session is overwritten by the locked read
    # (one statement; a refresh() after it was a second round trip per locked row)
    return (select(model).where(pk == bindparam("pk")).with_for_update()
            .execution_options(populate_existing=True))


def row_of(model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """Every column but the id — the given values, else the model's defaults — so one INSERT
    takes rows of one shape; a required field left out is named here, not by the driver."""
    out = {}
    for name, info in model.model_fields.items():
        if name == "id":
            continue
        if name in values:
            out[name] = values[name]
        elif info.default_factory is not None:
            out[name] = info.default_factory()  # type: ignore[call-arg]
        elif info.is_required():
            raise TypeError(f"{model.__name__}: {name} is required")
        else:
            out[name] = info.default
    unknown = set(values) - set(out)
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    return out
