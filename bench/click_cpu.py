"""CPU per committed click: the bot's Slack click against the minimal click, from /proc.

    .venv/bin/python bench/click_cpu.py [--seconds 8] [--rounds 2] [--concurrency 16]
        [--backends sqlite,postgresql] [--profile DIR] [--statements]

The same signed `block_actions` clicks (市场部's head approves one submitted request each,
`bench/slack_click.py`) go, alternating in one run, to the minimal click (`click_minimal.py`:
signature, parse, the approval's statements in the raw driver, 200) and to the bot exactly as
`collab-bot serve` runs it (bolt, the core, the two follow-up calls to a fake Slack, the outbox
post delivered by its worker). For each server process: the CPU seconds it used (user + system,
`/proc/PID/stat`) from the start of the measured phase until it is idle again — its clicks'
posts delivered — divided by the clicks it committed. Each server has a database (SQLite file or
PostgreSQL schema) of its own; afterwards each is checked to hold exactly one approval per
answered click. A third server in each round, "same work by hand", is the minimal click given
the rest of what the bot does for this click, hand-written on the raw driver and aiohttp: the
bot's other statements (the review reminder cancelled, the receipt's set, the receipt card and
the assign prompt as two outbox rows with real cards), the two follow-up calls and the rows'
delivery in runs — checked like the bot's (all its outbox rows sent). It tells how much of the bot's CPU is the work and how much the stack
(bolt, slack_sdk, SQLAlchemy, the workflows) the work goes through. `--profile DIR` also
samples the bot with py-spy during its first measured phase (DIR/<backend>.raw) and prints where
the CPU went (`procstat.summary`).
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import click_minimal  # noqa: E402
import common  # noqa: E402
from bench.serving import SQL_COUNT_VAR  # noqa: E402
import procstat  # noqa: E402
import slack_click as bench  # noqa: E402

# the minimal click; the same with the rest of the bot's work written by hand
# (`click_minimal.py` given the fake Slack's URL); the bot
KINDS = ("minimal", "same_work", "bot")
PG = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


async def measure(session: Any, role: tuple[str, ...], *, script: str, ids: Any, hook: str,
                  args: argparse.Namespace, profile: Path | None = None) -> dict[str, float]:
    counted = Path(tempfile.mkstemp(prefix="click-sql-")[1]) if args.statements else None
    if counted is not None and role[0] == "bot":
        os.environ[SQL_COUNT_VAR] = str(counted)
    process, port = await bench.spawn(*role, script=script)
    os.environ.pop(SQL_COUNT_VAR, None)
    send = bench.sender(session, f"http://127.0.0.1:{port}/slack/events", hook, ids)
    _rps, warm, _failed = await bench.throughput(send, concurrency=4, seconds=1)  # caches, plans
    before = await procstat.settle(process.pid)
    spy = procstat.record(process.pid, profile, seconds=args.seconds) if profile else None
    rps, done, failed = await bench.throughput(send, concurrency=args.concurrency,
                                               seconds=args.seconds)
    window = procstat.cpu(process.pid)
    started = asyncio.get_running_loop().time()
    if spy is not None:
        await asyncio.to_thread(spy.wait)
        spy = procstat.record(process.pid, profile.with_suffix(".after.raw"), seconds=10)
    after = await procstat.settle(process.pid)
    print(f"  {role[0]}: {window - before:.2f} s CPU in the phase, {after - window:.2f} s in the "
          f"{asyncio.get_running_loop().time() - started:.1f} s after it", file=sys.stderr)
    if spy is not None:
        await asyncio.to_thread(spy.wait)
    await bench.stop(process)
    committed = done - failed
    if counted is not None and role[0] == "bot":
        common.report_statements(json.loads(counted.read_text() or "{}"), clicks=warm + committed)
    return {"rps": rps, "committed": committed, "failed": failed,
            "cpu_ms": 1000 * (after - before) / max(committed, 1)}


async def backend_run(session: Any, backend: str, args: argparse.Namespace, api_url: str,
                      hook: str) -> list[dict[str, dict[str, float]]]:
    tmp = Path(tempfile.mkdtemp(prefix="click-cpu-"))
    count = int((args.seconds + 2) * 1500 * args.rounds)
    places: dict[str, tuple[str, str]] = {}  # kind → (database URL, PostgreSQL schema)
    for kind in KINDS:
        if backend == "sqlite":
            places[kind] = (f"sqlite:///{tmp}/{kind}.db", "")
        else:
            places[kind] = (PG, f"bench_cpu_{kind}_{os.getpid()}")
            os.environ[bench.SCHEMA_VAR] = places[kind][1]
            bench.pg_schema(PG, drop=False)
        os.environ[bench.SCHEMA_VAR] = places[kind][1]
        await bench.prepare(places[kind][0], count)
    ids = {kind: itertools.count(1) for kind in places}
    rounds = []
    try:
        for n in range(args.rounds):
            result = {}
            for kind in KINDS:
                url, schema = places[kind]
                os.environ[bench.SCHEMA_VAR] = schema  # the children inherit it
                if kind != "bot":
                    conninfo = url.replace("postgresql+psycopg://", "postgresql://") \
                        if backend != "sqlite" else url.removeprefix("sqlite:///")
                    role: tuple[str, ...] = ("minimal", str(bench.free_port()), conninfo,
                                             schema or "public",
                                             *((api_url,) if kind == "same_work" else ()))
                    script = click_minimal.__file__
                else:
                    role = ("bot", str(bench.free_port()), api_url, url, str(count))
                    script = bench.__file__
                profile = Path(args.profile) / f"{backend}.raw" if (
                    args.profile and kind == "bot" and n == 0) else None
                result[kind] = await measure(session, role, script=script, ids=ids[kind],
                                             hook=hook, args=args, profile=profile)
            rounds.append(result)
        for kind, (url, schema) in places.items():
            os.environ[bench.SCHEMA_VAR] = schema
            answered = sum(r[kind]["committed"] for r in rounds)
            held = bench.approved(url)
            # the warm-up clicks committed too; none may be missing or doubled
            assert held >= answered, f"{backend} {kind}: {held} approvals for {answered} clicks"
            if kind != "minimal":  # its posts were delivered, like the bot's
                unsent = bench.counted(url, "SELECT count(*) FROM outbox_message "
                                            "WHERE state <> 'sent'")
                assert unsent == 0, f"{backend} {kind}: {unsent} outbox rows not sent"
    finally:
        if backend != "sqlite":
            for _url, schema in places.values():
                os.environ[bench.SCHEMA_VAR] = schema
                bench.pg_schema(PG, drop=True)
    return rounds


async def run(args: argparse.Namespace) -> None:
    import aiohttp

    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    fake, fake_port = await bench.spawn("fake", str(bench.free_port()))
    api_url = f"http://127.0.0.1:{fake_port}/api/"
    hook = f"http://127.0.0.1:{fake_port}/hooks/bench"
    results = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session:
        for backend in args.backends.split(","):
            results[backend] = await backend_run(session, backend, args, api_url, hook)
    await bench.stop(fake)
    print(f"CPU per committed click, server process from /proc ({os.cpu_count()} cores, shared), "
          f"{args.concurrency} clients back to back, {args.seconds:g} s a phase:")
    print("| backend | round | minimal: clicks/s, CPU/click | bot: clicks/s, CPU/click | "
          "CPU ratio bot/minimal | same work by hand: clicks/s, CPU/click | its ratio to "
          "minimal | bot / same work by hand |")
    print("|---|---|---|---|---|---|---|---|")
    for backend, rounds in results.items():
        for n, r in enumerate(rounds, 1):
            minimal, bot, same = r["minimal"], r["bot"], r["same_work"]
            print(f"| {backend} | {n} | {minimal['rps']:.0f}, {minimal['cpu_ms']:.2f} ms | "
                  f"{bot['rps']:.0f}, {bot['cpu_ms']:.2f} ms | "
                  f"**{bot['cpu_ms'] / minimal['cpu_ms']:.1f}×** | "
                  f"{same['rps']:.0f}, {same['cpu_ms']:.2f} ms | "
                  f"{same['cpu_ms'] / minimal['cpu_ms']:.1f}× | "
                  f"{bot['cpu_ms'] / same['cpu_ms']:.1f}× |")
            assert not any(r[kind]["failed"] for kind in KINDS), "failed clicks"
    if args.profile:
        for backend in results:
            raw = Path(args.profile) / f"{backend}.raw"
            if raw.exists():
                print(f"\nprofile of the bot, {backend} ({raw}):")
                print(procstat.summary(raw))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--profile", default="")
    parser.add_argument("--statements", action="store_true",
                        help="count the bot's SQL statements per click, by kind and table")
    args = parser.parse_args()

    async def guarded() -> None:
        try:
            await run(args)
        finally:
            for child in list(bench.CHILDREN):
                await bench.stop(child)

    asyncio.run(guarded())


if __name__ == "__main__":
    main()
