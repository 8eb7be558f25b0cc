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
from datetime import datetime, timedelta, timezone
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


# same work by hand (`click_cpu.py`): the rest of what the bot's approval writes (as
# `click_cpu.py --statements` and its database show: 2 outbox rows, 1 timer, 1 audit row): the
# review reminder cancelled, the receipt card (R28) and the assign prompt posted to the group —
# each a real card — and the receipt's reminder set
SAME_WORK = TRANSACTION[:2] + [
    "UPDATE timer SET state = 'cancelled' WHERE id IN (SELECT id FROM timer WHERE state = "
    "'pending' AND subject = %(subject)s FOR UPDATE SKIP LOCKED) RETURNING id",
    TRANSACTION[2], TRANSACTION[3],
    TRANSACTION[4].replace("'post', '', '{}'", "'post', %(receipt_key)s, %(receipt)s"),
    TRANSACTION[4].replace("'post', '', '{}'", "'post', %(assign_key)s, %(assign)s"),
    "INSERT INTO timer (workspace_id, kind, subject, request_id, due_at, payload, state, "
    "attempts, last_error, created_at) VALUES (%(ws)s, 'receipt.remind', %(receipt_key)s, "
    "%(r)s, %(due)s, '{}', 'pending', 0, '', now())",
]
# the delivery of those rows, in runs like the bot's worker: one claim, the posts, one finish
CLAIM = ("UPDATE outbox_message SET state = 'sending', lease_owner = 'minimal', lease_until = "
         "%(lease)s WHERE id IN (SELECT id FROM outbox_message WHERE state = 'pending' ORDER BY id "
         "LIMIT 32 FOR UPDATE SKIP LOCKED) RETURNING id, conversation, payload")
FINISH = ("UPDATE outbox_message SET state = 'sent', sent_at = now(), platform_message_id = "
          "%(ts)s WHERE id = %(id)s")


def sqlite_sql(statement: str) -> str:
    return (statement.replace("%(", ":").replace(")s", "").replace("now()", "CURRENT_TIMESTAMP")
            .replace(" FOR UPDATE SKIP LOCKED", "").replace(" FOR UPDATE", ""))


SQLITE = [sqlite_sql(statement) for statement in TRANSACTION]


def card(r: int, state: str) -> dict[str, Any]:
    """A hand-written Block Kit card the size of the bot's request card."""
    return {"blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": f"[XT-2026-{r:05d}] 618大促活动"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in (
            ("状态", state), ("发起部门", "市场部"), ("协作部门", "技术部"), ("截止", "2026-12-18"))]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "刘敏 初审通过"}]},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": f"request.assign.{i}", "style": "primary",
             "text": {"type": "plain_text", "text": label},
             "value": json.dumps({"k": f"request:{r}", "r": r})}
            for i, label in enumerate(("指派负责人", "查看详情"))]}]}


def role_minimal(port: int, conninfo: str, schema: str, api_url: str = "") -> None:
    """PostgreSQL through psycopg (10 connections), or SQLite through aiosqlite (the bot's
    driver; one connection, `BEGIN IMMEDIATE`) when `conninfo` is a file path. With `api_url`
    (`click_cpu.py`'s "same work by hand"), also the rest of the bot's work, hand-written: its
    other statements (`SAME_WORK`), the two follow-up calls (chat.update of the clicked card and
    the clicker's confirmation through `response_url`) and the outbox rows' delivery in runs."""
    import aiohttp
    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.responses import Response
    from starlette.routing import Route

    secret = bench.SECRET.encode()
    idle: asyncio.Queue[Any] = asyncio.Queue()
    sqlite = not conninfo.startswith("postgres")
    work = SAME_WORK if api_url else TRANSACTION
    statements = [sqlite_sql(s) for s in work] if sqlite else work
    wake = asyncio.Event()
    held: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def transaction() -> AsyncIterator[Any]:
        conn = await idle.get()
        try:
            if sqlite:
                await conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    await conn.commit()
                except BaseException:
                    await conn.rollback()
                    raise
            else:
                async with conn.transaction():
                    yield conn
        finally:
            idle.put_nowait(conn)

    async def commit(args: dict[str, Any]) -> bool:
        async with transaction() as conn:
            if await (await conn.execute(statements[0], args)).fetchone() is None:
                return False  # a retry: handled before
            args["state"], args["ws"] = await (await conn.execute(statements[1], args)).fetchone()
            for statement in statements[2:]:
                await conn.execute(statement, args)
        return True

    async def api(method: str, body: dict[str, Any], url: str = "") -> dict[str, Any]:
        async with held["http"].post(url or api_url + method, data=json.dumps(body),
                                     headers=held["headers"]) as response:
            return await response.json(content_type=None) if not url else {}

    async def follow_up(payload: dict[str, Any], r: int) -> None:
        held["follow-ups"] = held.get("follow-ups", 0) + 1
        await api("chat.update", {"channel": payload["channel"]["id"],
                                  "ts": payload["message"]["ts"], **card(r, "已通过初审")})
        await api("", {"response_type": "ephemeral", "text": f"XT-2026-{r:05d} 已通过初审"},
                  url=payload["response_url"])

    async def deliver() -> None:
        """The outbox's part: claim a run, post it, put the run on record."""
        while True:
            await wake.wait()
            wake.clear()
            lease = datetime.now(timezone.utc) + timedelta(seconds=10)
            async with transaction() as conn:
                rows = await (await conn.execute(
                    sqlite_sql(CLAIM) if sqlite else CLAIM, {"lease": lease})).fetchall()
            sent = [{"id": row[0], "ts": (await api("chat.postMessage", {
                "channel": row[1], **(json.loads(row[2]) if isinstance(row[2], str) else row[2])
            }))["ts"]} for row in rows]
            async with transaction() as conn:
                if sqlite:
                    await conn.executemany(sqlite_sql(FINISH), sent)
                else:
                    await conn.cursor().executemany(FINISH, sent)
            if len(rows) == 32:  # a full run: more may wait
                wake.set()

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
                "subject": f"request:{r}", "receipt_key": f"receipt:{r}",
                "receipt": json.dumps(card(r, "待确认接收")), "assign_key": f"assign:{r}",
                "assign": json.dumps(card(r, "待指派")),
                "due": datetime.now(timezone.utc) + timedelta(days=1)}
        if not await commit(args) or not api_url:
            return Response(status_code=200)
        wake.set()
        return Response(status_code=200, background=BackgroundTask(follow_up, payload, r))

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
        held["http"] = aiohttp.ClientSession()
        held["headers"] = {"Authorization": "Bearer xoxb-bench",
                           "Content-Type": "application/json; charset=utf-8"}
        worker = asyncio.create_task(deliver())
        yield
        if worker.done():  # it stopped early: say why
            print(f"delivery: {worker.exception()!r}", file=sys.stderr, flush=True)
        worker.cancel()
        print(f"follow-ups: {held.get('follow-ups', 0)}", file=sys.stderr, flush=True)
        await held["http"].close()
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
        role_minimal(int(rest[0]), *rest[1:4])
    elif args.role == "bare":
        bench.role_bare(int(rest[0]))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
