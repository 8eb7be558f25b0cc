"""A Slack outage under steady load (issue 14 benchmark), scaled down: the real Slack adapter
sends over real HTTP to a fake Slack on 127.0.0.1; while one message a second is written to 60
chats, Slack first refuses connections (REFUSED s), then answers 500 (ERRORS s), then recovers.
The issue's 10-minute outage is scaled to 2 minutes (60 s + 60 s) so one run takes ~3 minutes;
the worker's settings are the defaults (back-off capped at 60 s, probe every 5 s).

Reported: rows lost (written but never accepted by Slack), duplicates, order per chat, the time
from recovery until every row written before it was sent, and the platform calls the outage cost.
Run: `python bench/bench_outage.py [REFUSED ERRORS]` (PostgreSQL too when TEST_DATABASE_URL is set).
"""
from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "adapters" / "slack")]

from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from adapters.slack.adapter import SlackAdapter  # noqa: E402
from adapters.slack.settings import SlackSettings  # noqa: E402
from bench.common import backends, fresh_db  # noqa: E402
from bot.delivery import DeliveryWorker  # noqa: E402
from bot.metrics import Metrics  # noqa: E402
from bot.time_settings import TimeSettings  # noqa: E402
from fake_core import RecordingCore  # noqa: E402
from slack_fake import FakeSlack  # noqa: E402
from storage.tables import OutboxMessage, Workspace  # noqa: E402
from workflows.clock import SystemClock  # noqa: E402

CHATS = 60
RATE = 1.0  # rows written per second, all the time
WARM, AFTER = 15.0, 20.0


async def run(backend: str, refused: float, errors: float) -> dict:
    clock = SystemClock()
    fake = await FakeSlack().start()
    port = fake.port
    slack = SlackAdapter(settings=SlackSettings(bot_token="xoxb-bench", signing_secret="s",
                                                app_token="", api_url=fake.api_url, mode="http"),
                         core=RecordingCore(clock=clock, name="bench"))
    first = fake
    written: list[tuple[float, str]] = []  # (monotonic time written, text)
    async with fresh_db(backend) as db:
        async with db.uow() as uow:
            uow.add(Workspace(id="slack:T111", platform="slack", external_id="T111", locale="en"))
        metrics = Metrics()
        worker = DeliveryWorker(db=db, clock=clock, adapters={"slack": slack},
                                settings=TimeSettings(), metrics=metrics)
        await worker.start()
        stop_writing = asyncio.Event()

        async def writer() -> None:
            n = 0
            while not stop_writing.is_set():
                chat = f"C{n % CHATS:03d}"
                text = f"{chat}:{n}"
                async with db.uow() as uow:
                    now = clock.now()
                    uow.append(OutboxMessage, workspace_id="slack:T111", platform="slack",
                               conversation=chat, kind="post", payload={"text": text},
                               next_attempt_at=now, created_at=now)
                written.append((time.monotonic(), text))
                worker.kick()
                n += 1
                await asyncio.sleep(1 / RATE)

        producing = asyncio.create_task(writer())
        await asyncio.sleep(WARM)
        retries_before = sum(s.value for m in metrics.outbox_retries.collect() for s in m.samples
                             if s.name.endswith("_total"))
        first = fake
        await fake.stop()  # connection refused
        outage_start = time.monotonic()
        await asyncio.sleep(refused)
        fake = FakeSlack()
        fake.fail_status = 500
        await fake.start(port)
        await asyncio.sleep(errors)
        fake.fail_status = 0  # recovered
        recovered = time.monotonic()
        attempts = sum(s.value for m in metrics.outbox_retries.collect() for s in m.samples
                       if s.name.endswith("_total")) - retries_before
        before = {t for at, t in written if at < recovered}

        def sent() -> set[str]:
            return {c.body.get("text") for f in (first, fake) for c in f.calls_to("chat.postMessage")}

        drained_at = None
        deadline = recovered + AFTER + 300
        while time.monotonic() < deadline:
            now = time.monotonic()
            if drained_at is None and before <= sent():
                drained_at = now
            if now >= recovered + AFTER and not stop_writing.is_set():
                stop_writing.set()
                await producing
            if stop_writing.is_set() and {t for _a, t in written} <= sent():
                break
            await asyncio.sleep(0.1)
        await worker.stop()
        async with db.uow() as uow:
            states = dict((await uow.all(select(OutboxMessage.state, func.count())
                                         .group_by(OutboxMessage.state))))
        await slack.stop()
        await fake.stop()
    texts = [c.body.get("text") for f in (first, fake) for c in f.calls_to("chat.postMessage")]
    first_seen: dict[str, list[int]] = {}
    for t in dict.fromkeys(texts):
        chat, n = t.split(":")
        first_seen.setdefault(chat, []).append(int(n))
    in_order = all(ns == sorted(ns) for ns in first_seen.values())
    return {"written": len(written), "before": len(before), "states": states,
            "dupes": len(texts) - len(set(texts)), "in_order": in_order,
            "drain": (drained_at - recovered) if drained_at else float("inf"),
            "outage": recovered - outage_start, "attempts": attempts,
            "lost": len({t for _a, t in written} - set(texts))}


async def main() -> None:
    refused = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    errors = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    print("| backend | outage (refused + 500s) | rows written | rows written before recovery "
          "| sent | lost | failed / expired / still open | duplicates | order per chat "
          "| recovery → all earlier rows sent | send attempts during the outage |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for backend in backends():
        r = await run(backend, refused, errors)
        s = r["states"]
        open_rows = s.get("pending", 0) + s.get("sending", 0)
        print(f"| {backend} | {refused:.0f} s + {errors:.0f} s | {r['written']} | {r['before']} "
              f"| {s.get('sent', 0)} | {r['lost']} | {s.get('failed', 0)} / {s.get('expired', 0)} / {open_rows} "
              f"| {r['dupes']} | {'kept' if r['in_order'] else 'BROKEN'} | {r['drain']:.1f} s "
              f"| {r['attempts']:.0f} |", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
