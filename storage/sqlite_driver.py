"""SQLite through aiosqlite in one thread hop per statement (issue 15).

aiosqlite runs each sqlite3 call on its worker thread and wakes the event loop with the answer;
SQLAlchemy's adapter makes four such calls per statement (open a cursor, execute, fetch, close).
Each hop is a thread wake-up and a loop wake-up that cost far more CPU than the statement itself
(py-spy on an approval click: aiosqlite and the loop's wake-ups were ~40 % of the bot's CPU). Here
a statement's cursor, execution, rows and close are one function on the worker thread: the same
sqlite3 calls in the same order on the same connection, one hop. Only the plain cursor changes;
server-side cursors (`stream()`) and everything else stay SQLAlchemy's.
"""
from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


class _Finished:
    """What a closed sqlite3 cursor leaves for SQLAlchemy to read."""

    __slots__ = ("description", "rowcount", "lastrowid", "arraysize")

    def __init__(self) -> None:
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def close(self) -> None:
        """Nothing left open: the sqlite3 cursor was closed on the worker thread."""


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool
         ) -> tuple[Any, int, int | None, list[Any] | None]:
    """On aiosqlite's thread: the statement and everything SQLAlchemy reads of it."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else None
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    _awaitable_cursor_close = False  # `_Finished.close` is plain

    def _make_new_cursor(self, connection: Any) -> Any:
        return _Finished()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    async def _hop(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            finished = self._cursor
            description, rowcount, lastrowid, rows = await connection._execute(
                _run, connection._conn, operation, parameters, many)
            finished.description, finished.rowcount = description, rowcount  # type: ignore[attr-defined]
            finished.lastrowid = lastrowid  # type: ignore[attr-defined]
            if rows is not None:
                self._rows.clear()
                self._rows.extend(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._hop(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._hop(operation, seq_of_parameters, many=True)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    _cursor_cls = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """`create_async_engine(…, module=OneHopDBAPI.make())`: aiosqlite with the cursor above."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)

    @classmethod
    def make(cls) -> "OneHopDBAPI":
        return cls(aiosqlite, sqlite3)
