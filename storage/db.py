"""The engine and the unit of work: one transaction per inbound event (DESIGN rule 2).

SQLite runs in WAL mode and every transaction starts with `BEGIN IMMEDIATE`, so writers are
serialised and a read-check-write (is this task already confirmed?) cannot interleave with another.
Within one process they also queue on an asyncio lock first: SQLite's own busy handler polls with
sleeps of up to 100 ms, so under load a waiting writer slept long after the lock was free (p99 of
seconds); the lock hands over in FIFO order at once. `busy_timeout` still covers other processes.
On PostgreSQL the same code takes row locks (`lock()` → `SELECT … FOR UPDATE`) on the aggregate it
changes, and claims queue rows with `SKIP LOCKED`.

Database trouble must not hang anyone (issue 14): on PostgreSQL a connection attempt gives up after
`connect_timeout` s, a connection whose packets go unacknowledged is closed by the kernel after
`tcp_user_timeout` (a partition), a statement the server runs longer than `statement_timeout` is
cancelled by it, and `deadline()` bounds a whole piece of work on the client side — it also covers
a server that accepts and never answers, where psycopg's own cancel would wait 10 s.
"""
from __future__ import annotations

import asyncio
import contextlib
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, TypeVar

from sqlalchemy import event, exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.statements import appending, locking, row_of, sqlite_rows, upsert_of

T = TypeVar("T", bound=SQLModel)


class DatabaseUnavailable(Exception):
    """The database did not answer in time or could not be reached: infrastructure, not the
    request — callers answer "try again" (503, no ack) so the platform redelivers."""


def is_unavailable(exc: BaseException) -> bool:
    """Connection-class failures (refused, reset, partitioned, timed out), as opposed to an
    error the server answered (a constraint, a serialization failure, SQLite's busy lock)."""
    if isinstance(exc, (DatabaseUnavailable, TimeoutError, ConnectionError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = exc.orig
        # psycopg: an error with no SQLSTATE never came from the server
        return type(orig).__module__.startswith("psycopg") and getattr(orig, "sqlstate", "") is None
    return False


def stale_connection(exc: BaseException) -> bool:
    """A pooled connection turned out dead (the server restarted, a partition cut it): the pool
    has discarded it and its siblings, so trying once more connects afresh."""
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def async_url(url: str) -> str:
    """Accept the plain URLs people write (`sqlite:///x.db`, `postgresql://…`)."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sync_url(url: str) -> str:
    """The same database for Alembic, which runs synchronously."""
    url = async_url(url)
    return url.replace("sqlite+aiosqlite:///", "sqlite:///")


def _sqlite_setup(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        # sent with the transaction's first statement, in its thread hop (`sqlite_driver`)
        conn.connection.dbapi_connection.begin_with_next_statement()


class UnitOfWork:
    """One transaction. Commit happens when the `async with` block ends without an error."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self.session = session
        self.dialect = dialect
        self._appended: list[tuple[type[SQLModel], dict[str, Any]]] = []
        # every row appended in this transaction, written or not (a rolled-back savepoint's
        # taken out): what `timers.born` looks at
        self.appended_log: list[tuple[type[SQLModel], dict[str, Any]]] = []

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def upsert(self, table: Any) -> Any:
        """An INSERT of this database's dialect (`upsert_of`)."""
        return upsert_of(self.dialect, table)

    def add(self, row: SQLModel) -> None:
        self.session.add(row)

    def append(self, model: type[SQLModel], **values: Any) -> None:
        """A new row of an append-only table (audit trail, outbox) that this transaction never
        changes again: written with one plain INSERT per table before the next read or the
        commit. No model instance is built — on a click, building and flushing ORM objects cost
        more than the statements themselves (BENCHMARKS.md). The row gets no id back."""
        self._appended.append((model, values))
        self.appended_log.append((model, values))

    async def flush(self) -> None:
        if self._appended:
            await self._insert_appended()  # flushes the session first
        else:
            await self.session.flush()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction: on an error its writes are gone — appended rows included."""
        await self._insert_appended()  # rows from before belong to the outer transaction
        logged = len(self.appended_log)
        try:
            async with self.session.begin_nested():
                yield
                await self.flush()
        except BaseException:
            self._appended.clear()
            del self.appended_log[logged:]
            raise

    async def _insert_appended(self) -> None:
        if not self._appended:
            return
        await self.session.flush()  # the rows they point at (a new request, say) exist first
        await self._write_appended(await self.session.connection())

    async def _write_appended(self, connection: Any) -> None:
        """One INSERT per table (executemany for several rows), without RETURNING.

        (Tried: on PostgreSQL all tables' rows in one statement, each further table's INSERT a
        data-modifying CTE. A multi-row VALUES statement has no cache key in SQLAlchemy, so it
        was compiled afresh on every click — more CPU than the round trips it saved.)"""
        for table, batch in self._take_appended().items():
            await connection.execute(appending(table), batch)

    def _take_appended(self) -> dict[Any, list[dict[str, Any]]]:
        rows, self._appended = self._appended, []
        tables: dict[Any, list[dict[str, Any]]] = {}
        for model, values in rows:
            tables.setdefault(model.__table__, []).append(row_of(model, values))  # type: ignore[attr-defined]
        return tables

    async def commit(self) -> None:
        """The end of the transaction. On SQLite the appended rows' INSERTs go with the COMMIT
        in one thread hop (`sqlite_driver`). On PostgreSQL they and the COMMIT go in one psycopg
        pipeline: nothing is read back from them, so none waits for the
        answer to the one before — a click's audit, outbox and timer rows and its COMMIT are one
        round trip, not four. An error in an INSERT (a constraint) or the COMMIT (a
        serialization failure) is raised here, as SQLAlchemy raises it, and nothing is
        committed, as before."""
        if not self._appended:
            await self.session.commit()
            return
        await self.session.flush()  # ORM rows read their results (ids, row counts): not deferred
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        if not self.is_postgres:  # SQLite: the INSERTs go in the COMMIT's thread hop
            for table, batch in self._take_appended().items():
                raw.dbapi_connection.defer(*sqlite_rows(table, batch, connection.dialect))
            await self.session.commit()
            return
        driver: Any = raw.driver_connection
        try:
            async with driver.pipeline():
                await self._write_appended(connection)
                # the COMMIT queued behind them, answered with them at the pipeline's one sync
                # (`driver.commit()` would sync once more); the session's commit, below, finds
                # the connection idle and sends nothing — and only then hands it back to the
                # pool (a pooled connection must never leave with its pipeline still open)
                await driver.execute("COMMIT", prepare=False)
        except sa_exc.DBAPIError:
            raise
        except driver.Error as exc:  # raised by the pipeline's sync: as SQLAlchemy raises it
            raise sa_exc.DBAPIError.instance("COMMIT", None, exc, type(driver).Error) from exc
        await self.session.commit()

    async def get(self, model: type[T], key: Any) -> T | None:
        await self._insert_appended()
        return await self.session.get(model, key)

    async def lock(self, model: type[T], key: Any) -> T | None:
        """Load a row for update: PostgreSQL row lock; SQLite is already serialised (its
        compiler leaves `FOR UPDATE` out). One statement built once per model: `session.get`
        builds its SELECT afresh on every call (issue 15)."""
        await self._insert_appended()
        result = await self.session.exec(locking(model), params={"pk": key})
        return result.first()

    async def execute(self, statement: Any,
                      params: dict[str, Any] | list[dict[str, Any]] | None = None) -> Any:
        """A Core statement straight on the transaction's connection: for the statements every
        event runs (de-duplication, the workspace's version), where the ORM adds only cost;
        `params`: the bound values of a statement built once with `bindparam`s (a statement
        built afresh costs more CPU than its round trip: issue 15), or one execution per dict
        (executemany). Objects added with `add` are not
        flushed first: not for reading rows this transaction changed through the ORM."""
        await self._insert_appended()
        return await (await self.session.connection()).execute(statement, params)

    async def all(self, statement: Any, params: dict[str, Any] | None = None) -> list[Any]:
        """ORM rows; `params`: the bound values of a statement built once (see `execute`)."""
        await self._insert_appended()
        return list((await self.session.exec(statement, params=params)).all())

    async def first(self, statement: Any) -> Any:
        await self._insert_appended()
        return (await self.session.exec(statement)).first()


def pg_connect_args(*, schema: str | None = None, connect_timeout: float = 3.0,
                    statement_timeout: float = 30.0) -> dict[str, Any]:
    """libpq parameters that keep a dead or partitioned server from hanging a connection."""
    options = f"-c statement_timeout={int(statement_timeout * 1000)}"
    if schema:
        options += f" -c search_path={schema}"
    return {"connect_timeout": max(2, round(connect_timeout)),  # libpq's minimum is 2 s
            "tcp_user_timeout": int(connect_timeout * 1000),
            "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 2,
            "keepalives_count": 2, "options": options}


class Database:
    def __init__(self, url: str, *, echo: bool = False, schema: str | None = None,
                 connect_timeout: float = 3.0, statement_timeout: float = 30.0,
                 pool_size: int = 20) -> None:
        """`schema` (PostgreSQL only) isolates tests that share one database. The timeouts
        (PostgreSQL) are `DATABASE_CONNECT_TIMEOUT_SECONDS` / `…_STATEMENT_TIMEOUT_SECONDS`.
        `pool_size` (`DATABASE_POOL_SIZE`): connections kept open; a burst beyond it gets up to
        half as many again, opened and closed per use (issue 15: with 10 kept, 16 concurrent
        clicks opened 64–113 sessions per 8 s)."""
        self.url = async_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.url.startswith("postgresql"):
            # no pre-ping: it is a round trip on every checkout (every event) — a connection
            # found dead is invalidated with the whole pool instead, and the event retried once
            # on a fresh one (`stale_connection`, workflows/core.py)
            kwargs.update(pool_size=pool_size, max_overflow=max(4, pool_size // 2),
                          pool_pre_ping=False,
                          pool_timeout=connect_timeout,
                          connect_args=pg_connect_args(schema=schema,
                                                       connect_timeout=connect_timeout,
                                                       statement_timeout=statement_timeout))
        elif self.url.startswith("sqlite+aiosqlite"):
            from storage.sqlite_driver import OneHopDBAPI

            kwargs["module"] = OneHopDBAPI.make()  # one thread hop per statement, not four
        self.engine = create_async_engine(self.url, **kwargs)
        self.dialect = self.engine.dialect.name
        self._writers: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        if self.dialect == "sqlite":
            _sqlite_setup(self.engine)

    def _writer_lock(self) -> asyncio.Lock | None:
        """SQLite only: one lock per event loop (a Database may outlive a loop: tests, CLI)."""
        if self.dialect != "sqlite":
            return None
        loop = asyncio.get_running_loop()
        if self._writers is None or self._writers[0] is not loop:
            self._writers = (loop, asyncio.Lock())
        return self._writers[1]

    @asynccontextmanager
    async def uow(self) -> AsyncIterator[UnitOfWork]:
        lock = self._writer_lock()
        if lock is None:
            async with self._session() as uow:
                yield uow
            return
        async with lock, self._session() as uow:
            yield uow

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[UnitOfWork]:
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            async with session.begin():
                uow = UnitOfWork(session, self.dialect)
                yield uow
                await uow.commit()  # `begin()`'s exit then has nothing left to commit

    @asynccontextmanager
    async def deadline(self, seconds: float) -> AsyncIterator[None]:
        """Bound the database work inside to `seconds` (client side), raising
        `DatabaseUnavailable`. On a timeout psycopg first asks the server to cancel and waits up
        to 10 s for that; a second cancel shortly after makes it drop the connection at once."""
        task = asyncio.current_task()
        assert task is not None
        fired: list[bool] = []

        def cancel_again() -> None:
            fired.append(True)
            task.cancel()

        again = asyncio.get_running_loop().call_later(seconds + 0.2, cancel_again)
        try:
            async with asyncio.timeout(seconds):
                yield
        except TimeoutError as exc:
            raise DatabaseUnavailable(f"no answer from the database within {seconds:g} s") from exc
        except asyncio.CancelledError as exc:
            if not fired:
                raise  # somebody else's cancel (shutdown): not ours to swallow
            task.uncancel()
            task.uncancel()
            raise DatabaseUnavailable(f"no answer from the database within {seconds:g} s") from exc
        finally:
            again.cancel()

    def bounded(self, seconds: float) -> Any:
        """`deadline(seconds)` on PostgreSQL, where a network can partition; nothing on SQLite,
        a local file whose only waits are other writers (a deadline there would call a busy
        moment an outage)."""
        if self.dialect == "postgresql":
            return self.deadline(seconds)
        return contextlib.nullcontext()

    async def ping(self, *, seconds: float = 1.0) -> None:
        """One round trip, bounded: the readiness check."""
        from sqlalchemy import text

        async with self.deadline(seconds):
            for attempt in (1, 2):
                try:
                    async with self.engine.connect() as conn:
                        await conn.execute(text("SELECT 1"))
                    return
                except sa_exc.DBAPIError as exc:
                    if attempt == 2 or not stale_connection(exc):
                        raise

    async def create_all(self) -> None:
        """Tests and the demo: the schema straight from the models (prod uses Alembic)."""
        import storage.tables  # noqa: F401  (register every table)

        async with self.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)

    async def dispose(self) -> None:
        await self.engine.dispose()
