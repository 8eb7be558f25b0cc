"""The least a click can cost on this machine: the ceiling over `bench/slack_click.py`.

    /work/main/.venv/bin/python bench/click_minimal.py [--database postgresql+psycopg://…]

A Starlette endpoint that does only what no design can skip — verify the Slack signature,
parse the payload, commit the approval's rows in one transaction (de-duplication, the locked
request, its new state, the audit row, the outbox row), answer 200 — in raw psycopg: no ORM,
no bolt, no rendering, no follow-up calls, no delivery worker. Its sustained throughput as a
share of a bare Starlette endpoint (same uvicorn, same load generator, same run) is the best
any implementation of the issue-4 click could reach here. PostgreSQL only (the production
database); the tables are the real ones (`create_all`), the requests prepared as in
slack_click.py.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import os
import sys
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import slack_click as bench  # noqa: E402  (the same processes, load and prepared rows)

TRANSACTION = [
    "INSERT INTO processed_event (platform, event_id, at) VALUES ('slack', %(event)s, now()) "
    "ON CONFLICT DO NOTHING RETURNING event_id",
    "SELECT state, workspace_id FROM collab_request WHERE id = %(r)s FOR UPDATE",
    "UPDATE collab_request SET state = 'approved', updated_at = now() WHERE id = %(r)s",
    "INSERT INTO audit_event (workspace_id, request_id, actor_id, action, subject, before, "
    "after, detail, at) VALUES (%(ws)s, %(r)s, NULL, 'request.approve', %(subject)s, "
    "%(state)s, 'approved', '{}', now())",
    "INSERT INTO outbox_message (workspace_id, platform, conversation, kind, card_key, payload, "
    "state, attempts, next_attempt_at, lease_owner, last_error, platform_message_id, created_at) "
    "VALUES (%(ws)s, 'slack', %(channel)s, 'post', '', '{}', 'pending', 0, now(), '', '', '', "
    "now())",
]


SQLITE = [statement.replace("%(", ":").replace(")s", "").replace("now()", "CURRENT_TIMESTAMP")
          .replace(" FOR UPDATE", "") for statement in TRANSACTION]


def role_minimal(port: int, conninfo: str, schema: str) -> None:
    """PostgreSQL through psycopg (10 connections), or SQLite through aiosqlite (the bot's
    driver; one connection, `BEGIN IMMEDIATE`) when `conninfo` is a file path."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    secret = bench.SECRET.encode()
    idle: asyncio.Queue[Any] = asyncio.Queue()
    sqlite = not conninfo.startswith("postgres")

    async def commit_pg(args: dict[str, Any]) -> None:
        conn = await idle.get()
        try:
            async with conn.transaction():
                if await (await conn.execute(TRANSACTION[0], args)).fetchone() is None:
                    return  # a retry: handled before
                args["state"], args["ws"] = await (await conn.execute(TRANSACTION[1], args)
                                                   ).fetchone()
                for statement in TRANSACTION[2:]:
                    await conn.execute(statement, args)
        finally:
            idle.put_nowait(conn)

    async def commit_sqlite(args: dict[str, Any]) -> None:
        conn = await idle.get()
        try:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                if await (await conn.execute(SQLITE[0], args)).fetchone() is not None:
                    args["state"], args["ws"] = await (await conn.execute(SQLITE[1], args)
                                                       ).fetchone()
                    for statement in SQLITE[2:]:
                        await conn.execute(statement, args)
                await conn.commit()
            except BaseException:
                await conn.rollback()
                raise
        finally:
            idle.put_nowait(conn)

    async def click(request: Any) -> Response:
        body = await request.body()
        stamp = request.headers.get("x-slack-request-timestamp", "")
        expected = "v0=" + hmac.new(secret, f"v0:{stamp}:".encode() + body,
                                    hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("x-slack-signature", "")):
            return Response(status_code=401)
        payload = json.loads(parse_qs(body.decode())["payload"][0])
        r = int(json.loads(payload["actions"][0]["value"])["r"])
        args = {"event": payload["trigger_id"], "channel": payload["channel"]["id"], "r": r,
                "subject": f"request:{r}"}
        await (commit_sqlite if sqlite else commit_pg)(args)
        return Response(status_code=200)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        if sqlite:
            import aiosqlite

            conn = await aiosqlite.connect(conninfo, isolation_level=None)
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")
            conns = [conn]
        else:
            import psycopg

            conns = [await psycopg.AsyncConnection.connect(
                conninfo, options=f"-c search_path={schema}") for _ in range(10)]
        for conn in conns:
            idle.put_nowait(conn)
        yield
        for conn in conns:
            await conn.close()

    bench.serve(Starlette(routes=[Route("/slack/events", click, methods=["POST"])],
                          lifespan=lifespan), port)


async def run(args: argparse.Namespace) -> None:
    import aiohttp

    os.environ[bench.SCHEMA_VAR] = f"bench_minimal_{os.getpid()}"
    bench.pg_schema(args.database, drop=False)
    results: dict[str, list[float]] = {"bare": [], "minimal": []}
    try:
        per_phase = int(args.seconds + 1) * 1500
        await bench.prepare(args.database, per_phase * args.rounds)
        conninfo = args.database.replace("postgresql+psycopg://", "postgresql://")
        ids = itertools.count(1)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session:
            for _ in range(args.rounds):  # alternate, so machine load hits both alike
                for name in ("bare", "minimal"):
                    role = ("bare", str(bench.free_port())) if name == "bare" else (
                        "minimal", str(bench.free_port()), conninfo, os.environ[bench.SCHEMA_VAR])
                    process, port = await bench.spawn(*role, script=__file__)
                    send = bench.sender(session, f"http://127.0.0.1:{port}/slack/events",
                                        "http://127.0.0.1:9/hooks/none",
                                        ids if name == "minimal" else itertools.count(1))
                    await bench.throughput(send, concurrency=4, seconds=1)
                    rps, _done, failed = await bench.throughput(
                        send, concurrency=args.concurrency, seconds=args.seconds)
                    assert failed == 0, f"{name}: {failed} failed"
                    results[name].append(rps)
                    await bench.stop(process)
    finally:
        for child in list(bench.CHILDREN):
            await bench.stop(child)
        bench.pg_schema(args.database, drop=True)
    print(f"sustained, {args.concurrency} clients back to back, {args.seconds:g} s a phase:")
    for bare, minimal in zip(results["bare"], results["minimal"]):
        print(f"  bare Starlette 200 {bare:6.0f} req/s   minimal click {minimal:6.0f} req/s  "
              f"({minimal / bare:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--role")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args, rest = parser.parse_known_args()
    if args.role == "minimal":
        role_minimal(int(rest[0]), rest[1], rest[2])
    elif args.role == "bare":
        bench.role_bare(int(rest[0]))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
