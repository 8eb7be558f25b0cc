"""The approval click's transaction alone: CPU per click of `Core.handle` in this process.

    .venv/bin/python bench/click_core_cpu.py [--clicks 1500] [--rounds 1] [--concurrency 16]
        [--backends sqlite,postgresql]

`click_cpu.py` measures the bot as it runs (HTTP, bolt, follow-ups, and the delivery worker
sending the clicks' outbox rows in the same process, during the phase and after it); this bench
takes out everything but the transaction, to see what a change to the database path does to a
click's inbound cost on a shared machine: the same `request.approve` clicks (`slack_click.py`'s
requests) handed to a `Core` straight, `--concurrency` at a time, no delivery worker. CPU = this
process's user + system time (its aiosqlite threads included) over the clicks, after 100 clicks
of warm-up. `--rounds R` measures R rounds of `--clicks` each and prints the least and the
median: on a shared machine a neighbour only ever adds CPU time (caches, the sibling hardware
thread), so the least of several short rounds is the steadier figure for comparing two commits.
PostgreSQL: `BENCH_DATABASE_URL` (or `TEST_DATABASE_URL`), in a schema of its own.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import slack_click as bench  # noqa: E402

PG = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WARM = 100


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(url: str, *, clicks: int, concurrency: int,
                  rounds: int = 1) -> list[tuple[float, float]]:
    """(ms CPU per click, clicks/s) of each round."""
    from storage.db import Database
    from workflows.clock import SystemClock
    from workflows.core import Core
    from workflows.events import ActionInvoked, Tenant

    await bench.prepare(url, clicks * rounds + WARM)
    db = Database(url, schema=os.environ.get(bench.SCHEMA_VAR) or None)
    core = Core(db=db, clock=SystemClock())
    ids = itertools.count(1)
    tenant = Tenant("slack", bench.TEAM, locale="en")

    async def clicker(last: int) -> None:
        while (i := next(ids)) <= last:
            reply = await core.handle(ActionInvoked(
                tenant=tenant, actor=bench.HEAD, conversation=bench.CHANNEL, event_id=f"t{i}",
                message=f"1700000000.{i:06d}", action_id="request.approve",
                value={"k": f"request:{i}", "r": i}))
            assert reply.ok and not reply.duplicate, reply.text

    await asyncio.gather(*(clicker(WARM) for _ in range(concurrency)))
    ids, results = itertools.count(WARM + 1), []
    for last in range(WARM + clicks, WARM + clicks * rounds + 1, clicks):
        before, started = cpu(), time.monotonic()
        await asyncio.gather(*(clicker(last) for _ in range(concurrency)))
        used, wall = cpu() - before, time.monotonic() - started
        ids = itertools.count(last + 1)
        results.append((1000 * used / clicks, clicks / wall))
    await db.dispose()
    assert bench.approved(url) == WARM + clicks * rounds
    return results


async def run(args: argparse.Namespace) -> None:
    print(f"Core.handle of an approval click, {args.concurrency} at a time, {args.clicks} clicks "
          f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}):")
    for backend in args.backends.split(","):
        if backend == "sqlite":
            url = f"sqlite:///{tempfile.mkdtemp(prefix='core-cpu-')}/bot.db"
            os.environ.pop(bench.SCHEMA_VAR, None)
        else:
            url = PG
            os.environ[bench.SCHEMA_VAR] = f"bench_core_cpu_{os.getpid()}"
            bench.pg_schema(url, drop=False)
        try:
            results = await measure(url, clicks=args.clicks, concurrency=args.concurrency,
                                    rounds=args.rounds)
        finally:
            if backend != "sqlite":
                bench.pg_schema(url, drop=True)
        ms = sorted(r[0] for r in results)
        rate = statistics.median(r[1] for r in results)
        spread = f" (least of {len(ms)}; median {statistics.median(ms):.2f})" if len(ms) > 1 else ""
        print(f"  {backend}: {ms[0]:.2f} ms CPU per click{spread}, {rate:.0f} clicks/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clicks", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--backends", default="sqlite,postgresql")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
