"""A DingTalk Stream card click → committed transition → ack, measured over the real socket.

    .venv/bin/python bench/dingtalk_click.py [--seconds 20] [--rate 100] [--database URL] [--statements]

Two processes: the bot exactly as `collab-bot serve` builds it with DingTalk configured in Stream
mode (the `dingtalk-stream` SDK on its own thread, the real core on SQLite — or `--database`
PostgreSQL — delivery worker and scheduler running), and this process: the fake DingTalk (the
gateway's connections/open, the stream WebSocket, the OpenAPI) and the load. Each click is a
`/v1.0/card/instances/callback` frame in which 产品部's head approves one submitted request (R4):
a state change plus audit and outbox rows in one transaction, answered in the ack with the card's
new state. Latency runs from the frame's scheduled send (open loop) to its ack arriving.

Control, in the same run: the same load against the DingTalk adapter with a core that answers
at once (the SDK's thread hop, the frame parsing and rendering — the adapter's own cost).
CPU per click is the bot process's user+system time over the steady phase (/proc/<pid>/stat).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "adapters" / "dingtalk")]

from bench.serving import SQL_COUNT_VAR, counting, serve  # noqa: E402

HEAD, INITIATOR, GROUP = "wang", "zhou", "cid618"
CARDS = "/v1.0/card/instances/callback"
SCHEMA_VAR = "DINGTALK_BENCH_PG_SCHEMA"  # PostgreSQL: each run in a schema of its own


def schema() -> str | None:
    return os.environ.get(SCHEMA_VAR) or None


def env(api_url: str) -> None:
    from dingtalk_fake import CLIENT_ID, CLIENT_SECRET, ROBOT, TEMPLATE

    os.environ.update(DINGTALK_CLIENT_ID=CLIENT_ID, DINGTALK_CLIENT_SECRET=CLIENT_SECRET,
                      DINGTALK_ROBOT_CODE=ROBOT, DINGTALK_CARD_TEMPLATE_ID=TEMPLATE,
                      DINGTALK_MODE="stream", DINGTALK_API_URL=api_url)


def role_bot(api_url: str, database: str, requests: int) -> None:
    env(api_url)
    from bot.app import build
    from bot.settings import Settings
    from storage.db import Database

    asyncio.run(prepare(database, requests))
    db = Database(database, schema=schema())
    app = build(Settings(database_url=database, archive_dir=None), db=db)  # type: ignore[arg-type]
    app.adapters["dingtalk"].rate_per_chat = app.adapters["dingtalk"].rate_per_second = 1e6
    serve(app.asgi, 0, announce=os.getpid(), keep_alive=5, stopped=counting(db))


def role_instant(api_url: str) -> None:
    import contextlib

    from starlette.applications import Starlette

    env(api_url)
    from adapters.dingtalk.adapter import DingTalkAdapter
    from adapters.dingtalk.settings import DingTalkSettings
    from workflows.cards import Card, CardField
    from workflows.events import Reply

    reply = Reply(text="", card=Card(title="[XT-2026-00001] 新品详情页改版", tone="success",
                                     fields=[CardField("状态", "已通过初审")], footer="王芳 初审通过"))

    class InstantCore:
        async def handle(self, event: Any) -> Reply:
            return reply

    adapter = DingTalkAdapter(settings=DingTalkSettings(), core=InstantCore())  # type: ignore[arg-type]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any):
        await adapter.start()
        yield
        await adapter.stop()

    serve(Starlette(lifespan=lifespan), 0, announce=os.getpid(), keep_alive=5)


async def prepare(database: str, count: int) -> None:
    """The org, and `count` submitted requests of 产品部 waiting for its head (fixture rows:
    only the clicks are measured)."""
    from sqlmodel import select

    from dingtalk_fake import CORP
    from dingtalk_world import dingtalk_org
    from storage.db import Database
    from storage.tables import CollaborationRequest, Department, Person
    from workflows.clock import SystemClock
    from workflows.core import Core

    db = Database(database, schema=schema())
    await db.create_all()
    await Core(db=db, clock=SystemClock()).import_org(dingtalk_org())
    now = SystemClock().now()
    async with db.uow() as uow:
        depts = {d.name: d.id for d in await uow.all(select(Department))}
        initiator = (await uow.all(select(Person).where(Person.key == INITIATOR)))[0]
        for i in range(1, count + 1):
            uow.add(CollaborationRequest(
                workspace_id=f"dingtalk:{CORP}", number=f"XT-2026-{i:05d}", title="新品详情页改版",
                goal="转化率+10%", initiating_department_id=depts["产品部"], initiator_id=initiator.id,
                conversation=GROUP, collaborating=[depts["技术部"]], standard="加载≤2秒",
                state="submitted", created_at=now, updated_at=now))
    await db.dispose()


async def spawn(*args: str) -> asyncio.subprocess.Process:
    log = open(Path(tempfile.gettempdir()) / f"dingtalk-bench-{args[0]}.log", "w")  # noqa: SIM115
    process = await asyncio.create_subprocess_exec(sys.executable, __file__, "--role", *args,
                                                   stdout=asyncio.subprocess.PIPE, stderr=log)
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 600)).decode().split()
    assert line and line[0] == "READY", f"{args[0]} did not start: {line}"
    return process


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def frame(request_id: int) -> dict[str, Any]:
    from dingtalk_fake import CORP

    value = json.dumps({"k": f"request:{request_id}", "r": request_id}, separators=(",", ":"))
    content = {"cardPrivateData": {"actionIds": ["btn0"],
                                   "params": {"action": "request.approve", "value": value}}}
    return {"type": "actionCallback", "outTrackId": f"card-{request_id}", "corpId": CORP,
            "userId": HEAD, "userIdType": 1, "spaceType": "IM_GROUP", "spaceId": GROUP,
            "extension": "{}", "content": json.dumps(content)}


async def steady(fake: Any, first: int, *, rate: float, seconds: float) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    count = int(rate * seconds)
    due: dict[str, float] = {}
    start = loop.time() + 0.1
    for i in range(count):
        at = start + i / rate
        await asyncio.sleep(max(0.0, at - loop.time()))
        frame_id = f"bench-{first + i}"
        due[frame_id] = at
        await fake.push(CARDS, frame(first + i), message_id=frame_id, wait=False)
    deadline = loop.time() + 30
    while len([f for f in due if f in fake.ack_times]) < count and loop.time() < deadline:
        await asyncio.sleep(0.05)
    latencies = sorted(fake.ack_times[f] - at for f, at in due.items() if f in fake.ack_times)
    failed = sum(1 for f in due if f not in fake.ack_times or fake.acks[f]["code"] != 200)
    return {"count": count, "failed": failed, "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(0.99 * (len(latencies) - 1))] * 1000, "max": latencies[-1] * 1000}


async def phase(role: str, args: argparse.Namespace, database: str, requests: int) -> dict[str, Any]:
    from dingtalk_fake import FakeDingTalk

    fake = await FakeDingTalk().start()
    counted = Path(tempfile.mkstemp(prefix="dingtalk-sql-")[1]) if args.statements else None
    if counted is not None and role == "bot":
        os.environ[SQL_COUNT_VAR] = str(counted)
    process = await spawn(role, fake.url, *((database, str(requests)) if role == "bot" else ()))
    os.environ.pop(SQL_COUNT_VAR, None)
    await asyncio.wait_for(fake.connected.wait(), 60)
    await steady(fake, 1, rate=args.rate, seconds=1)  # warm up
    before = cpu_seconds(process.pid)
    result = await steady(fake, int(args.rate) + 1, rate=args.rate, seconds=args.seconds)
    result["cpu_ms"] = (cpu_seconds(process.pid) - before) / result["count"] * 1000
    process.terminate()
    await process.wait()
    await fake.stop()
    if counted is not None and role == "bot":
        from bench.common import report_statements
        report_statements(json.loads(counted.read_text() or "{}"),
                          clicks=result["count"] + int(args.rate))
    return result


def approved(database: str) -> int:
    from sqlalchemy import create_engine, text

    from storage.db import sync_url

    engine = create_engine(sync_url(database))
    with engine.connect() as conn:
        if schema():
            conn.execute(text(f"SET search_path TO {schema()}"))
        count = int(conn.execute(text("SELECT count(*) FROM collab_request WHERE state='approved'"))
                    .scalar_one())
    engine.dispose()
    return count


def pg_schema(database: str, *, drop: bool) -> None:
    from sqlalchemy import create_engine, text

    from storage.db import sync_url

    engine = create_engine(sync_url(database))
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema()} CASCADE" if drop else f"CREATE SCHEMA {schema()}"))
    engine.dispose()


async def run(args: argparse.Namespace) -> None:
    database = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='dingtalk-bench-')}/bench.db"
    if database.startswith("postgres"):
        os.environ[SCHEMA_VAR] = f"bench_dingtalk_{os.getpid()}"
        pg_schema(database, drop=False)
    requests = int(args.rate * (args.seconds + 1)) + 10
    try:
        control = await phase("instant", args, database, requests)
        full = await phase("bot", args, database, requests)
        committed = approved(database)
    finally:
        if schema():
            pg_schema(database, drop=True)
    backend = "PostgreSQL" if database.startswith("postgres") else "SQLite (WAL)"
    print(f"DingTalk Stream click → committed approval → ack ({backend}, {os.cpu_count()} cores), "
          f"{args.rate:g} clicks/s open loop for {args.seconds:g} s")
    for name, r in (("adapter, instant core (control)", control), ("click, real core", full)):
        print(f"  {name:32} p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms  max {r['max']:6.1f} ms"
              f"  failed {r['failed']}/{r['count']}  CPU {r['cpu_ms']:.2f} ms/click")
    print(f"  p99 ratio real/control: {full['p99'] / control['p99']:.2f}; "
          f"committed approvals: {committed} of {int(args.rate * (args.seconds + 1))} clicks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--role")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--statements", action="store_true",
                        help="count the bot's SQL statements per click, by kind and table")
    args, rest = parser.parse_known_args()
    if args.role == "bot":
        role_bot(rest[0], rest[1], int(rest[2]))
    elif args.role == "instant":
        role_instant(rest[0])
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
