"""Issue 14: a worker killed by SIGKILL mid-send hands its row over within seconds (its lease
is short and was only renewed while it lived), and the chat's order is kept."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.delivery import DeliveryWorker
from bot.metrics import Metrics
from bot.time_settings import TimeSettings
from line_platform import LineAdapter, LineServer
from test_delivery import T0, outbox, seed
from workflows.clock import VirtualClock

ROOT = Path(__file__).resolve().parents[2]
LEASE = 1.0


async def test_a_row_left_sending_by_a_killed_worker_is_taken_over_within_seconds(
        db, database_url):
    url, schema = database_url
    server = LineServer(hold={"a1"})
    await server.start()
    await seed(db, [("A", "post", "", "a1"), ("A", "post", "", "a2"), ("A", "post", "", "a3"),
                    ("B", "post", "", "b1"), ("B", "post", "", "b2")])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "delivery_proc.py"), url,
                             schema or "", str(server.port), str(LEASE)], env=env, cwd=ROOT)
    survivor = None
    try:
        async with asyncio.timeout(60):
            await server.held.wait()  # a1 is on the wire, unanswered
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        killed_at = time.monotonic()
        survivor = DeliveryWorker(
            db=db, clock=VirtualClock(T0), adapters={"fake": LineAdapter(server.port)},
            metrics=Metrics(), settings=TimeSettings(delivery_lease_seconds=LEASE,
                                                     delivery_poll_seconds=0.05))
        await survivor.start()
        async with asyncio.timeout(30):
            while not any(text == "a3" for _p, _c, text in server.acked):
                await asyncio.sleep(0.05)
        taken_over = time.monotonic() - killed_at
    finally:
        if proc.poll() is None:
            proc.kill()
        if survivor is not None:
            await survivor.stop()
        await server.stop()

    assert server.by_chat()["A"] == ["a1", "a2", "a3"]  # a1 again, by the survivor, then on
    assert [pid for pid, _c, text in server.acked if text == "a1"] == [os.getpid()]
    assert taken_over < 4 * LEASE + 2  # seconds, where a 300 s lease made it ~5 minutes
    assert {r.state for r in await outbox(db)} == {"sent"}
