"""kill -9 during a delivery soak on PostgreSQL (issue 14 benchmark, delivery part): two worker
processes share one outbox; every KILL_EVERY s one of them is killed with SIGKILL (mid-send or
not) and restarted, while urgent pings are committed at RATE/s to CHATS people. A TCP "platform"
on 127.0.0.1 acknowledges each send after SEND_SECONDS, so a kill usually lands on sends in
flight, whose rows wait for their lease. Default worker settings (10 s lease, renewed every 3.3 s).

Reported: rows lost, duplicates (at-least-once: a row whose send was on the wire when its worker
died goes again), order per chat, and the delay from commit to first send: p50 / p99 / max.
Run: `TEST_DATABASE_URL=… python bench/bench_kill.py [seconds]`.
"""
from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bench.common import PG_URL, fresh_pg_schema  # noqa: E402
from storage.db import Database  # noqa: E402
from line_platform import LineServer  # noqa: E402
from storage.tables import OutboxMessage, Workspace  # noqa: E402
from workflows.clock import SystemClock  # noqa: E402

RATE, CHATS, KILL_EVERY, LEASE = 5.0, 50, 10.0, 10.0
SEND_SECONDS = 0.3  # the platform's answer time: a kill usually lands on sends in flight


def spawn(schema: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    return subprocess.Popen([sys.executable, str(ROOT / "tests" / "delivery_proc.py"), PG_URL,
                             schema, str(port), str(LEASE), "system"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 100.0
    if not PG_URL:
        print("TEST_DATABASE_URL is not set: this bench runs on PostgreSQL")
        return
    report(await run(seconds))


async def soak(schema: str, server: LineServer, clock: SystemClock,
               seconds: float) -> tuple[dict[str, float], int]:
    """Commit urgent pings at RATE/s while killing a worker every KILL_EVERY s; then wait (up
    to 2 minutes) until every one was acknowledged by the platform."""
    db = Database(PG_URL, schema=schema)
    await db.create_all()
    try:
        async with db.uow() as uow:
            uow.add(Workspace(id="w", platform="fake", external_id="W"))
        procs = [spawn(schema, server.port) for _ in range(2)]
        committed: dict[str, float] = {}
        kills = 0
        started = time.monotonic()
        next_kill = started + KILL_EVERY
        n = 0
        while time.monotonic() - started < seconds:
            chat = f"U{n % CHATS:03d}"
            label = f"{chat}:{n}"
            async with db.uow() as uow:
                now = clock.now()
                uow.append(OutboxMessage, workspace_id="w", platform="fake", conversation=chat,
                           kind="urgent", payload={"text": label}, next_attempt_at=now,
                           created_at=now)
            committed[label] = time.time()
            n += 1
            if time.monotonic() >= next_kill:
                victim = kills % len(procs)
                os.kill(procs[victim].pid, signal.SIGKILL)
                procs[victim].wait()
                procs[victim] = spawn(schema, server.port)
                kills += 1
                next_kill += KILL_EVERY
            await asyncio.sleep(1 / RATE)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not set(committed) <= {t for _p, _c, t in server.acked}:
            await asyncio.sleep(0.2)
        for proc in procs:
            proc.kill()
            proc.wait()
    finally:
        await db.dispose()
    return committed, kills


def summary(committed: dict[str, float], server: LineServer) -> dict[str, float | int | bool]:
    """Lost, duplicated, in order, and commit → first send delays, from the platform's log."""
    first: dict[str, float] = {}
    for (_pid, _chat, label), at in zip(server.acked, server.acked_at):
        first.setdefault(label, at)
    delays = sorted(first[t] - committed[t] for t in committed if t in first)
    per_chat: dict[str, list[int]] = {}
    for label in first:
        chat, k = label.split(":")
        per_chat.setdefault(chat, []).append(int(k))
    nan = float("nan")
    return {"committed": len(committed), "lost": len(set(committed) - set(first)),
            "duplicates": len(server.acked) - len(first),  # at-least-once re-sends
            "in_order": all(ks == sorted(ks) for ks in per_chat.values()),
            "p50": statistics.median(delays) if delays else nan,
            "p99": delays[int(0.99 * (len(delays) - 1))] if delays else nan,
            "max": delays[-1] if delays else nan}


async def run(seconds: float) -> dict[str, float | int | bool]:
    """The soak for `seconds` (PostgreSQL), summarised (`python -m bench` calls this)."""
    server = LineServer(delay=SEND_SECONDS)
    await server.start()
    try:
        with fresh_pg_schema() as schema:
            committed, kills = await soak(schema, server, SystemClock(), seconds)
    finally:
        await server.stop()
    return {**summary(committed, server), "kills": kills, "seconds": seconds}


def report(r: dict[str, float | int | bool]) -> None:
    print("| soak | urgent pings committed | kills | lost | duplicates | order per chat "
          "| commit → send p50 | p99 | max |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {r['seconds']:.0f} s, 2 workers, kill -9 every {KILL_EVERY:.0f} s | {r['committed']} | "
          f"{r['kills']} | {r['lost']} | {r['duplicates']} | {'kept' if r['in_order'] else 'BROKEN'} "
          f"| {r['p50']:.2f} s | {r['p99']:.2f} s | {r['max']:.2f} s |")


if __name__ == "__main__":
    asyncio.run(main())
