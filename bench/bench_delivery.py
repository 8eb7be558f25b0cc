"""Delivery throughput (issue 3 benchmark): the outbox worker against a fake platform that
enforces its rate limit (any sliding second over the limit → 429 Retry-After), as a share of
that limit, with zero messages lost or duplicated and every chat in order.

Run: `python bench/bench_delivery.py` (PostgreSQL too when TEST_DATABASE_URL is set).
"""
from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from sqlalchemy import func, insert  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench.common import backends, fresh_db  # noqa: E402
from bot.delivery import DeliveryWorker  # noqa: E402
from bot.metrics import Metrics  # noqa: E402
from bot.time_settings import TimeSettings  # noqa: E402
from fake_platform import FakePlatform  # noqa: E402
from storage.tables import OutboxMessage, Workspace  # noqa: E402
from workflows.clock import SystemClock  # noqa: E402

NOW = datetime.now(timezone.utc)
# (name, messages, chats, app limit /s, per-chat limit /s)
CASES = [("many chats, app limit", 1_500, 100, 100.0, 5.0),
         ("one chat, per-chat limit", 100, 1, 100.0, 5.0)]


async def run_case(backend: str, messages: int, chats: int, rate: float,
                   per_chat: float) -> dict[str, float]:
    async with fresh_db(backend) as db:
        async with db.uow() as uow:
            uow.add(Workspace(id="fake:bench", platform="fake", external_id="T-BENCH"))
        async with db.uow() as uow:
            await uow.session.execute(insert(OutboxMessage), [dict(
                workspace_id="fake:bench", platform="fake", conversation=f"C{n % chats}",
                kind="post", card_key="", payload={"text": f"C{n % chats}:{n}"},
                state="pending", attempts=0, next_attempt_at=NOW, last_error="",
                platform_message_id="", lease_owner="", created_at=NOW) for n in range(messages)])
        platform = FakePlatform(rate_per_second=rate, rate_per_chat=per_chat,
                                enforce_rate=rate, enforce_per_chat=per_chat, retry_after=1.0)
        worker = DeliveryWorker(db=db, clock=SystemClock(), adapters={"fake": platform},
                                settings=TimeSettings(), metrics=Metrics())
        start = time.perf_counter()
        await worker.start()
        while len(platform.received) < messages:
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - start
        await worker.stop()
        async with db.uow() as uow:
            unsent = await uow.first(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.state != "sent"))
    texts = [r.text for r in platform.received]
    in_order = all(
        [int(t.split(":")[1]) for t in texts if t.startswith(f"C{c}:")] ==
        sorted(int(t.split(":")[1]) for t in texts if t.startswith(f"C{c}:"))
        for c in range(chats))
    limit = min(rate, per_chat * chats)
    times = sorted(r.at for r in platform.received)
    # The most a limit of L per second allows between the first and the last send (T s apart)
    # is L * (T + 1): every sliding second holds at most L. Share = sends / that maximum.
    span = times[-1] - times[0]
    steady = messages / (span + 1)
    return {"elapsed": elapsed, "rate": steady, "limit": limit, "share": steady / limit,
 "lost": messages - len(set(texts)),
            "dupes": len(texts) - len(set(texts)), "unsent": unsent or 0,
            "rejected": platform.rejected, "in_order": in_order}


async def main() -> None:
    print("| backend | case | messages | limit | achieved (sends / (first→last + 1 s)) | share of limit "
          "| wall time | 429s | lost | duplicated | in order |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for backend in backends():
        for name, messages, chats, rate, per_chat in CASES:
            r = await run_case(backend, messages, chats, rate, per_chat)
            print(f"| {backend} | {name} | {messages:,} in {chats} chats | {r['limit']:.0f}/s "
                  f"| {r['rate']:.1f}/s | {r['share']:.0%} | {r['elapsed']:.1f} s | {r['rejected']} | "
                  f"{r['lost'] + r['unsent']} | {r['dupes']} | {'yes' if r['in_order'] else 'NO'} |")


if __name__ == "__main__":
    asyncio.run(main())
