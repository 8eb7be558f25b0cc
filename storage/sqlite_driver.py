"""SQLite through aiosqlite in one thread hop per statement (issue 15).

aiosqlite runs each sqlite3 call on its worker thread and wakes the event loop with the answer;
SQLAlchemy's adapter makes four such calls per statement (open a cursor, execute, fetch, close).
Each hop is a thread wake-up and a loop wake-up that cost far more CPU than the statement itself
(py-spy on an approval click: aiosqlite and the loop's wake-ups were ~40 % of the bot's CPU). Here
a statement's cursor, execution, rows and close are one function on the worker thread: the same
sqlite3 calls in the same order on the same connection, one hop. Only the plain cursor changes;
server-side cursors (`stream()`) and everything else stay SQLAlchemy's.

A transaction's other hops go the same way: its `BEGIN IMMEDIATE` rides with its first statement,
the rows a unit of work appends (audit, outbox, timers: nothing is read back from them) ride
with its COMMIT, and a commit or rollback with no transaction open (the pool's reset after a
commit) makes no hop at all — an approval click went from ten hops to five.
"""
from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.util.concurrency import await_
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


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool, begin: bool
         ) -> tuple[Any, int, int | None, list[Any] | None]:
    """On aiosqlite's thread: the statement (after the transaction's BEGIN when it is the first)
    and everything SQLAlchemy reads of it."""
    if begin:
        conn.execute("BEGIN IMMEDIATE")
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


def _commit(conn: sqlite3.Connection, writes: list[tuple[str, list[tuple[Any, ...]]]],
            begin: bool) -> None:
    """On aiosqlite's thread: the deferred INSERTs (after BEGIN when nothing went before them:
    without it each would commit on its own), then COMMIT — or, if one fails, ROLLBACK and its
    error, so nothing of the transaction is kept."""
    if begin:
        conn.execute("BEGIN IMMEDIATE")
    try:
        for operation, rows in writes:
            conn.executemany(operation, rows)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    _awaitable_cursor_close = False  # `_Finished.close` is plain

    def _make_new_cursor(self, connection: Any) -> Any:
        return _Finished()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    async def _hop(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapted: OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        begin, adapted.begin_pending = adapted.begin_pending, False
        async with adapted._execute_mutex:
            finished = self._cursor
            description, rowcount, lastrowid, rows = await connection._execute(
                _run, connection._conn, operation, parameters, many, begin)
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
    __slots__ = ("begin_pending", "deferred")

    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.begin_pending = False  # BEGIN IMMEDIATE goes with the next statement
        self.deferred: list[tuple[str, list[tuple[Any, ...]]]] = []  # INSERTs sent with COMMIT

    def begin_with_next_statement(self) -> None:
        self.begin_pending = True

    def defer(self, operation: str, rows: list[tuple[Any, ...]]) -> None:
        """An INSERT (its rows already sqlite3's parameters) sent with the COMMIT, in its hop:
        for rows nobody reads back (`UnitOfWork.commit`)."""
        self.deferred.append((operation, rows))

    def cursor(self, server_side: bool = False) -> Any:
        if server_side and self.begin_pending:  # a streamed read hops on its own: BEGIN first
            self.begin_pending = False
            self._hop_plain("BEGIN IMMEDIATE")
        return super().cursor(server_side)

    def _hop_plain(self, operation: str) -> None:
        try:
            await_(self._connection.execute(operation))
        except Exception as error:
            self._handle_exception(error)

    def _open(self) -> bool:
        """A transaction is open on the sqlite3 connection (read off the worker thread: a plain
        flag; no statement of this connection runs while its owner commits or rolls back)."""
        raw = self._connection._connection
        return raw is not None and raw.in_transaction

    def commit(self) -> None:
        writes, self.deferred = self.deferred, []
        begin, self.begin_pending = self.begin_pending, False
        if writes:
            try:
                await_(self._connection._execute(_commit, self._connection._conn, writes, begin))
            except Exception as error:
                self._handle_exception(error)
        elif self._open():
            super().commit()

    def rollback(self) -> None:
        self.deferred, self.begin_pending = [], False
        if self._open():
            super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """`create_async_engine(…, module=OneHopDBAPI.make())`: aiosqlite with the cursor above."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)

    @classmethod
    def make(cls) -> "OneHopDBAPI":
        return cls(aiosqlite, sqlite3)
