"""A signed Slack button click → committed transition → HTTP 200, measured over real HTTP.

    /work/main/.venv/bin/python bench/slack_click.py [--seconds 30] [--rate 100]
        [--throughput-seconds 10] [--concurrency 16] [--database URL]

Three processes, as in production: the bot (`bot/app.py` `build` with Slack configured: bolt,
the real core on SQLite — or `--database` PostgreSQL — the delivery worker and the scheduler
running), a fake Slack Web API (the click's follow-ups and the outbox's posts go there), and
this load generator. Each click is a `block_actions` payload signed like Slack signs it: the
initiating head approves one submitted request (R4), so every click commits a real state change
plus its audit and outbox rows; afterwards the database is checked for exactly that many.

Phases, in one run:
1. steady, on a fresh database after one second of the same load as warm-up: `--rate`
   clicks/s for `--seconds`, open loop (each click is sent on schedule whether or not earlier
   ones finished, and its latency counts from that schedule) → p50 / p99 / max;
2. sustained throughput: `--concurrency` clients clicking back to back for
   `--throughput-seconds` → clicks/s;
3. the same load against a bare Starlette endpoint returning 200 (same uvicorn, same machine),
   and against the Slack adapter with a core that answers at once (the adapter's own cost);
   the bare endpoint also takes phase 1's open-loop load just before the bot (its p99 is the
   window's control).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "adapters" / "slack")]

from bench.serving import counting, serve  # noqa: E402

TEAM, CHANNEL, HEAD = "T0618", "C0618", "U_LIU"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SCHEMA_VAR = "SLACK_BENCH_PG_SCHEMA"


# ---- the processes ---------------------------------------------------------------------------

def role_fake(port: int) -> None:
    from slack_fake import FakeSlack

    async def run() -> None:
        fake = await FakeSlack(team=TEAM).start(port=port)
        print("READY", fake.port, flush=True)
        await asyncio.Event().wait()

    asyncio.run(run())


def role_bare(port: int) -> None:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def ok(_request: Any) -> Response:
        return Response(status_code=200)

    serve(Starlette(routes=[Route("/slack/events", ok, methods=["POST"])]), port)


def role_instant(port: int, api_url: str) -> None:
    """The Slack adapter alone: a core that answers at once, as the real one answers a click."""
    from starlette.applications import Starlette

    from adapters.slack.adapter import SlackAdapter
    from adapters.slack.settings import SlackSettings
    from workflows.cards import Card, CardField
    from workflows.events import Reply

    reply = Reply(text="XT-2026-001 approved.", card=Card(
        title="[XT-2026-001] 618大促活动", tone="info", fields=[CardField("State", "approved")],
        footer="reviewed by 刘敏"))

    class InstantCore:
        async def handle(self, event: Any) -> Reply:
            return reply

        async def link_identity(self, **_: Any) -> bool:
            return False

        async def unlinked_emails(self, **_: Any) -> list[str]:
            return []

    adapter = SlackAdapter(settings=SlackSettings(bot_token="xoxb-bench", signing_secret=SECRET,
                                                  app_token="", api_url=api_url, mode="http"),
                           core=InstantCore())
    adapter.rate_per_chat = adapter.rate_per_second = 1e6

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        await adapter.start()
        yield
        await adapter.stop()

    serve(Starlette(routes=adapter.routes(), lifespan=lifespan), port)


def role_bot(port: int, api_url: str, database: str, requests: int) -> None:
    os.environ.update(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET,
                      SLACK_APP_TOKEN="", SLACK_API_URL=api_url)
    os.environ.pop("SLACK_MODE", None)
    from bot.app import build
    from bot.settings import Settings
    from storage.db import Database

    asyncio.run(prepare(database, requests))
    db = Database(database, schema=os.environ.get(SCHEMA_VAR) or None)
    app = build(Settings(database_url=database, archive_dir=None), db=db)  # type: ignore[arg-type]
    app.adapters["slack"].rate_per_chat = app.adapters["slack"].rate_per_second = 1e6
    serve(app.asgi, port, stopped=counting(db))


async def prepare(database: str, count: int) -> None:
    """The org, and `count` submitted requests of 市场部 waiting for its head (fixture rows:
    only the clicks are measured)."""
    import yaml
    from sqlmodel import select

    from slack_bot import ORG
    from storage.db import Database
    from storage.tables import CollaborationRequest, Department, Person
    from workflows.clock import SystemClock
    from workflows.core import Core
    from workflows.org import parse_org

    db = Database(database, schema=os.environ.get(SCHEMA_VAR) or None)
    await db.create_all()
    async with db.uow() as uow:
        if await uow.all(select(CollaborationRequest.id).limit(1)):
            await db.dispose()
            return  # prepared by the previous phase's process
    await Core(db=db, clock=SystemClock()).import_org(parse_org(yaml.safe_load(ORG)))
    now = SystemClock().now()
    async with db.uow() as uow:
        depts = {d.name: d.id for d in await uow.all(select(Department))}
        chen = (await uow.all(select(Person).where(Person.key == "chen")))[0]
        for i in range(1, count + 1):
            uow.add(CollaborationRequest(
                workspace_id=f"slack:{TEAM}", number=f"XT-2026-{i:05d}", title="618大促活动",
                goal="GMV+30%", initiating_department_id=depts["市场部"], initiator_id=chen.id,
                conversation=CHANNEL, collaborating=[depts["技术部"]], standard="可用率≥99.9%",
                state="submitted", created_at=now, updated_at=now))
    await db.dispose()


CHILDREN: list[asyncio.subprocess.Process] = []


async def spawn(*args: str, script: str = __file__) -> tuple[asyncio.subprocess.Process, int]:
    log = open(Path(tempfile.gettempdir()) / f"slack-bench-{os.getpid()}-{args[0]}.log", "w")  # noqa: SIM115
    process = await asyncio.create_subprocess_exec(
        sys.executable, script, "--role", *args, stdout=asyncio.subprocess.PIPE, stderr=log)
    CHILDREN.append(process)
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 600)).decode().split()
    assert line and line[0] == "READY", f"{args[0]} did not start: {line}"
    return process, int(line[1])


async def stop(process: asyncio.subprocess.Process) -> None:
    if process in CHILDREN:
        CHILDREN.remove(process)
    if process.returncode is None:
        process.terminate()
    await process.wait()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- the load ----------------------------------------------------------------------------

def click(request_id: int, hook: str) -> tuple[bytes, dict[str, str]]:
    from slack_support import action_payload, interactive, signed_headers

    value = json.dumps({"k": f"request:{request_id}", "r": request_id}, separators=(",", ":"))
    body = interactive(action_payload(
        action_id="request.approve", value=value, user=HEAD, channel=CHANNEL, team=TEAM,
        message_ts=f"1700000000.{request_id:06d}", trigger=f"{request_id}.bench.trigger",
        response_url=hook))
    return body, signed_headers(body, content_type="application/x-www-form-urlencoded",
                                secret=SECRET)


Send = Callable[[int], Awaitable[bool]]


def sender(session: Any, url: str, hook: str, ids: Iterator[int]) -> Send:
    import aiohttp

    async def send(_i: int) -> bool:
        request_id = next(ids)
        body, headers = click(request_id, hook)
        try:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                return response.status == 200
        except aiohttp.ClientError as exc:  # counted, and reported, as a failed click
            print(f"click {request_id}: {type(exc).__name__}: {exc}", file=sys.stderr)
            return False
    return send


async def steady(send: Send, *, rate: float, seconds: float) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    count = int(rate * seconds)
    latencies: list[float] = []
    failures = 0

    async def one(i: int, due: float) -> None:
        nonlocal failures
        ok = await send(i)
        latencies.append(loop.time() - due)
        failures += not ok

    start = loop.time() + 0.1
    tasks = []
    for i in range(count):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        tasks.append(asyncio.ensure_future(one(i, due)))
    await asyncio.gather(*tasks)
    latencies.sort()
    return {"count": count, "failures": failures, "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(0.99 * (count - 1))] * 1000, "max": latencies[-1] * 1000}


async def throughput(send: Send, *, concurrency: int, seconds: float
                     ) -> tuple[float, int, int]:
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    counter = iter(range(10**9))
    done = failures = 0

    async def client() -> None:
        nonlocal done, failures
        while loop.time() < end:
            ok = await send(next(counter))
            done += 1
            failures += not ok

    started = loop.time()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return done / (loop.time() - started), done, failures


# ---- the run -----------------------------------------------------------------------------

def approved(database: str) -> int:
    return counted(database, "SELECT count(*) FROM collab_request WHERE state='approved'")


def counted(database: str, query: str) -> int:
    from sqlalchemy import create_engine, text

    from storage.db import sync_url

    engine = create_engine(sync_url(database))
    with engine.connect() as conn:
        if os.environ.get(SCHEMA_VAR):
            conn.execute(text(f"SET search_path TO {os.environ[SCHEMA_VAR]}"))
        result = int(conn.execute(text(query)).scalar_one())
    engine.dispose()
    return result


def pg_schema(database: str, *, drop: bool) -> None:
    """PostgreSQL: each run in a schema of its own (the children inherit `SCHEMA_VAR`), so a
    run never finds the previous run's approved requests or pending outbox rows."""
    from sqlalchemy import create_engine, text

    from storage.db import sync_url

    schema = os.environ[SCHEMA_VAR]
    engine = create_engine(sync_url(database))
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE" if drop else
                          f"CREATE SCHEMA {schema}"))
    engine.dispose()


async def run(args: argparse.Namespace) -> None:
    import aiohttp

    tmp = tempfile.mkdtemp(prefix="slack-bench-")
    database = args.database or f"sqlite:///{tmp}/bench.db"
    if database.startswith("postgres"):
        os.environ[SCHEMA_VAR] = f"bench_slack_{os.getpid()}"
        pg_schema(database, drop=False)
    fake, fake_port = await spawn("fake", str(free_port()))
    api_url = f"http://127.0.0.1:{fake_port}/api/"
    hook = f"http://127.0.0.1:{fake_port}/hooks/bench"
    pool = int(args.rate * (args.seconds + 1) + (args.throughput_seconds + 1) * 500)
    connector = aiohttp.TCPConnector(limit=max(args.concurrency, 256))
    ids = itertools.count(1)  # request ids the bot's clicks approve, each exactly once
    results: dict[str, Any] = {}
    async with aiohttp.ClientSession(connector=connector) as session:
        async def sustained(*role: str, click_ids: Iterator[int]) -> tuple[float, int]:
            process, port = await spawn(*role)
            send = sender(session, f"http://127.0.0.1:{port}/slack/events", hook, click_ids)
            await throughput(send, concurrency=4, seconds=1)  # warm up connections and caches
            rps, _done, failures = await throughput(send, concurrency=args.concurrency,
                                                    seconds=args.throughput_seconds)
            await stop(process)
            return rps, failures

        # the control's steady p99 first: the bare endpoint under the same open-loop load, in
        # the same window (issue 15: the click's p99 beside it)
        process, port = await spawn("bare", str(free_port()))
        send = sender(session, f"http://127.0.0.1:{port}/slack/events", hook, itertools.count(1))
        await steady(send, rate=args.rate, seconds=1)
        results["steady_bare"] = await steady(send, rate=args.rate, seconds=args.seconds)
        await stop(process)
        # steady first, on a fresh database: after the sustained phase's overload the queue
        # holds thousands of posts for one channel, and draining them is not steady state
        bot = ("bot", api_url, database, str(pool))
        process, port = await spawn(bot[0], str(free_port()), *bot[1:])
        send = sender(session, f"http://127.0.0.1:{port}/slack/events", hook, ids)
        await steady(send, rate=args.rate, seconds=1)  # warm up, as the other phases do
        results["steady"] = await steady(send, rate=args.rate, seconds=args.seconds)
        await stop(process)
        scratch = itertools.count(1)
        results["bare"] = await sustained("bare", str(free_port()), click_ids=scratch)
        results["adapter"] = await sustained("instant", str(free_port()), api_url,
                                             click_ids=scratch)
        results["full"] = await sustained(bot[0], str(free_port()), *bot[1:], click_ids=ids)
    await stop(fake)
    committed = approved(database)
    if os.environ.get(SCHEMA_VAR):
        pg_schema(database, drop=True)
    report(args, results, committed=committed, clicks=next(ids) - 1, database=database)


def report(args: argparse.Namespace, r: dict[str, Any], *, committed: int, clicks: int,
           database: str) -> None:
    s = r["steady"]
    bare, (adapter, adapter_failed), (full, full_failed) = r["bare"][0], r["adapter"], r["full"]
    backend = "PostgreSQL" if database.startswith("postgres") else "SQLite (WAL)"
    print(f"Slack click → committed approval → HTTP 200 ({backend}, {os.cpu_count()} cores)")
    print(f"steady {args.rate:g} clicks/s for {args.seconds:g} s: {s['count']} clicks, "
          f"{s['failures']} failed; p50 {s['p50']:.1f} ms, p99 {s['p99']:.1f} ms, "
          f"max {s['max']:.1f} ms")
    c = r["steady_bare"]
    print(f"  control, a bare Starlette 200 under the same load just before: p50 {c['p50']:.1f} "
          f"ms, p99 {c['p99']:.1f} ms, max {c['max']:.1f} ms")
    print(f"committed approvals in the database: {committed} of {clicks} clicks sent")
    print(f"sustained, {args.concurrency} clients back to back, {args.throughput_seconds:g} s:")
    print(f"  bare Starlette 200:            {bare:8.0f} req/s  (1.00)")
    print(f"  Slack adapter, instant core:   {adapter:8.0f} req/s  ({adapter / bare:.2f})"
          f"  failed {adapter_failed}")
    print(f"  Slack click, real core:        {full:8.0f} req/s  ({full / bare:.2f})"
          f"  failed {full_failed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--role")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--throughput-seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", ""))
    args, rest = parser.parse_known_args()
    if args.role:
        {"fake": lambda: role_fake(int(rest[0])), "bare": lambda: role_bare(int(rest[0])),
         "instant": lambda: role_instant(int(rest[0]), rest[1]),
         "bot": lambda: role_bot(int(rest[0]), rest[1], rest[2], int(rest[3]))}[args.role]()
        return
    async def guarded() -> None:
        try:
            await run(args)
        finally:  # never leave a server behind, whatever failed
            for child in CHILDREN:
                await stop(child)

    asyncio.run(guarded())


if __name__ == "__main__":
    main()
