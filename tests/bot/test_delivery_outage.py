"""Issue 14: a platform outage loses nothing and costs one probe per interval; a message whose
moment has passed expires visibly; a live worker's lease is never taken from it; issue 15: the
worker always stops."""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from sqlmodel import select

from bot.delivery import DeliveryWorker
from bot.metrics import Metrics
from bot.time_settings import TimeSettings
from fake_platform import FakePlatform
from storage.tables import OutboxMessage
from test_delivery import T0, outbox, seed
from workflows.clock import VirtualClock

OUTAGE = dict(delivery_timeout_seconds=0.5, delivery_base_backoff_seconds=0.05,
              delivery_max_backoff_seconds=0.4, delivery_breaker_failures=3,
              delivery_probe_seconds=0.2, delivery_poll_seconds=0.05,
              delivery_coalesce_seconds=0, delivery_batch_size=4, delivery_lease_seconds=2)


def make(db, clock, platform, **settings) -> DeliveryWorker:
    return DeliveryWorker(db=db, clock=clock, adapters={"fake": platform}, metrics=Metrics(),
                          settings=TimeSettings(**{**OUTAGE, **settings}))


async def wait_until(predicate, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_an_outage_costs_one_probe_per_interval_and_loses_nothing(db, caplog):
    caplog.set_level(logging.INFO, logger="collab.delivery")
    clock = VirtualClock(T0)
    platform = FakePlatform()
    chats = [f"C{n}" for n in range(12)]
    await seed(db, [(chat, "post", "", f"{chat}-{n}") for n in range(5) for chat in chats])
    worker = make(db, clock, platform)
    platform.down = "refused"
    await worker.start()
    try:
        await asyncio.sleep(1.0)  # 1 s of "connection refused"…
        platform.down = "500"
        await asyncio.sleep(1.0)  # …then 1 s of 500s
        calls_during_outage = platform.calls
        platform.down = None

        async def all_sent() -> bool:
            return all(r.state == "sent" for r in await outbox(db))
        await wait_until(all_sent, seconds=10)
    finally:
        await worker.stop()

    # a storm would be hundreds of calls (60 rows, 0.05–0.4 s back-off, 2 s): the batch in
    # flight when the circuit opened, then about one probe per 0.2 s
    assert calls_during_outage <= 4 + 2 / 0.2 + 3
    assert platform.by_chat() == {chat: [f"{chat}-{n}" for n in range(5)] for chat in chats}
    assert worker.metrics.outbox_failed.labels("fake")._value.get() == 0
    assert worker.metrics.breaker_trips.labels("fake")._value.get() == 1
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("platform down: delivery paused, probing") == 1
    assert messages.count("platform back up") == 1


async def test_a_message_whose_moment_passed_during_an_outage_expires_visibly(db, caplog):
    clock = VirtualClock(T0)
    platform = FakePlatform()
    await seed(db, [("U1", "dm", "", "post your progress by 17:00"), ("U1", "dm", "", "later")])
    async with db.uow() as uow:
        first = (await uow.all(select(OutboxMessage).order_by(OutboxMessage.id)))[0]
        first.expires_at = T0 + timedelta(hours=1)
    worker = make(db, clock, platform, delivery_breaker_failures=1000)
    platform.script("U1", ["500"])
    await worker.drain()
    clock.advance(timedelta(hours=2))  # the platform is back, but the day is over
    await worker.drain()

    rows = await outbox(db)
    assert [r.state for r in rows] == ["expired", "sent"]
    assert "expired at" in rows[0].last_error
    assert platform.by_chat() == {"U1": ["later"]}
    assert b'collab_outbox_expired_total{platform="fake"} 1.0' in worker.metrics.render()
    assert [r for r in caplog.records if r.getMessage() == "outbox expired"]


async def test_a_live_worker_slower_than_its_lease_keeps_it(db):
    clock = VirtualClock(T0)
    platform = FakePlatform()
    platform.slow_seconds = 1.5
    platform.script("C1", ["slow"])
    await seed(db, [("C1", "post", "", "slow one")])
    first = make(db, clock, platform, delivery_lease_seconds=0.3, delivery_timeout_seconds=5)
    second = make(db, clock, platform, delivery_lease_seconds=0.3, delivery_timeout_seconds=5)
    sending = asyncio.create_task(first.drain())
    for _ in range(30):  # the other worker keeps claiming for 1.5 s: five leases' worth
        await second.run_once()
        await asyncio.sleep(0.05)
    await sending
    assert platform.calls == 1
    assert [r.text for r in platform.received] == ["slow one"]
    (row,) = await outbox(db)
    assert (row.state, row.lease_owner) == ("sent", "")


async def test_stopping_while_a_wake_races_always_returns(db):
    clock = VirtualClock(T0)
    platform = FakePlatform()
    for n in range(200):
        worker = make(db, clock, platform, delivery_poll_seconds=0.001)
        await worker.start()
        for _ in range(n % 4):
            await asyncio.sleep(0)
        worker.kick()  # the wake fires just as the cancel arrives
        async with asyncio.timeout(5):
            await worker.stop()
        assert worker._task is None
    await asyncio.sleep(0.2)  # a claim cut short by the stop may still sit in aiosqlite's thread


async def test_when_the_platform_is_back_rows_backed_off_during_the_outage_go_at_once(db):
    clock = VirtualClock(T0)  # standing still: only the recovery can make the rows due
    platform = FakePlatform()
    await seed(db, [(f"C{n}", "post", "", f"m{n}") for n in range(6)])
    worker = make(db, clock, platform, delivery_base_backoff_seconds=60,
                  delivery_max_backoff_seconds=60, delivery_batch_size=6)
    platform.down = "500"
    await worker.drain()  # all six fail once, the circuit opens, each backs off 30–60 s
    assert worker.breakers["fake"].is_open and platform.received == []
    platform.down = None
    await asyncio.sleep(0.25)  # the probe interval (0.2 s)
    await worker.drain()
    assert sorted(r.text for r in platform.received) == [f"m{n}" for n in range(6)]
    assert not worker.breakers["fake"].is_open
