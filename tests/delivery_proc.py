"""One delivery worker in its own process, sending to a LineServer:
`python delivery_proc.py URL SCHEMA PORT LEASE_S [system]` — runs until killed (`system`: the
real clock instead of a virtual one standing at 2026-07-01 03:00 UTC)."""
from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timezone

from bot.delivery import DeliveryWorker
from bot.metrics import Metrics
from bot.time_settings import TimeSettings
from line_platform import LineAdapter
from storage.db import Database
from workflows.clock import SystemClock, VirtualClock


async def main(url: str, schema: str, port: str, lease: str, clock: str = "") -> None:
    db = Database(url, schema=schema or None)
    worker = DeliveryWorker(
        db=db, clock=SystemClock() if clock == "system" else
        VirtualClock(datetime(2026, 7, 1, 3, 0, tzinfo=timezone.utc)),
        adapters={"fake": LineAdapter(int(port))}, metrics=Metrics(),
        settings=TimeSettings(delivery_lease_seconds=float(lease), delivery_poll_seconds=0.05,
                              delivery_timeout_seconds=600))
    await worker.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
