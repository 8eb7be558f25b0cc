"""The outbox worker (DESIGN rule 5): every message arrives exactly once, in order per chat,
through 429s, 5xx, timeouts and connection errors; a row that keeps failing ends `failed`."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlmodel import select

from bot.delivery import DeliveryWorker
from bot.metrics import Metrics
from bot.time_settings import TimeSettings
from storage.tables import MessageRef, OutboxMessage, Workspace
from fake_platform import FakePlatform
from workflows.clock import VirtualClock

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)
FAST = dict(delivery_timeout_seconds=0.05, delivery_base_backoff_seconds=1,
            delivery_max_backoff_seconds=60, delivery_max_attempts=6)


async def seed(db, rows: list[tuple[str, str, str, str]], *, at: datetime = T0) -> None:
    """rows: (conversation, kind, card_key, text)."""
    async with db.uow() as uow:
        if await uow.get(Workspace, "fake:acme") is None:
            uow.add(Workspace(id="fake:acme", platform="fake", external_id="T-ACME"))
        for conversation, kind, card_key, text in rows:
            uow.add(OutboxMessage(workspace_id="fake:acme", platform="fake",
                                  conversation=conversation, kind=kind, card_key=card_key,
                                  payload={"text": text}, next_attempt_at=at, created_at=at))


async def outbox(db) -> list[OutboxMessage]:
    async with db.uow() as uow:
        return await uow.all(select(OutboxMessage).order_by(OutboxMessage.id))


async def drive(worker: DeliveryWorker, clock: VirtualClock, *, rounds: int = 40) -> None:
    """Send what is due, then move the clock past any back-off; never sleeps for real."""
    for _ in range(rounds):
        await worker.drain()
        if all(r.state in ("sent", "failed") for r in await outbox(worker.db)):
            return
        clock.advance(timedelta(minutes=2))
    raise AssertionError("outbox did not settle")


def worker_for(db, clock, platform, **settings) -> DeliveryWorker:
    return DeliveryWorker(db=db, clock=clock, adapters={"fake": platform},
                          settings=TimeSettings(**{**FAST, **settings}), metrics=Metrics())


async def test_every_message_arrives_once_in_order_through_429_5xx_and_timeouts(db):
    clock = VirtualClock(T0)
    platform = FakePlatform(retry_after=30)
    chats = {"C1": ["429", "500", "500", "timeout"], "C2": ["timeout", "reset", "429"],
             "C3": []}
    for chat, outcomes in chats.items():
        platform.script(chat, outcomes)
    await seed(db, [(chat, "post", "", f"{chat}-{n}") for n in range(5) for chat in chats])
    worker = worker_for(db, clock, platform)

    await drive(worker, clock)

    assert platform.by_chat() == {chat: [f"{chat}-{n}" for n in range(5)] for chat in chats}
    rows = await outbox(db)
    assert {r.state for r in rows} == {"sent"}
    assert all(r.platform_message_id for r in rows)
    assert sum(r.attempts for r in rows) == 15 + 7  # every scripted failure cost one attempt


async def test_429_retry_after_is_honoured_before_the_next_attempt(db):
    clock = VirtualClock(T0)
    platform = FakePlatform(retry_after=30)
    platform.script("C1", ["429"])
    await seed(db, [("C1", "post", "", "hello")])
    worker = worker_for(db, clock, platform)

    await worker.drain()
    clock.advance(timedelta(seconds=29))
    await worker.drain()
    assert platform.received == []  # still inside Retry-After (clock time)
    clock.advance(timedelta(seconds=1))
    await worker.drain()
    assert [r.text for r in platform.received] == ["hello"]


async def test_a_message_that_keeps_failing_ends_failed_with_its_error_and_is_counted(db):
    clock = VirtualClock(T0)
    platform = FakePlatform()
    platform.script("C1", ["500"] * 4)
    await seed(db, [("C1", "post", "", "doomed"), ("C1", "post", "", "next")])
    worker = worker_for(db, clock, platform, delivery_max_attempts=4)

    await drive(worker, clock)

    doomed, after = await outbox(db)
    assert (doomed.state, doomed.attempts) == ("failed", 4)
    assert "500 Internal Server Error" in doomed.last_error
    assert after.state == "sent"  # a failed row does not hold its conversation hostage
    assert worker.metrics.outbox_failed.labels("fake")._value.get() == 1
    assert b'collab_outbox_failed_total{platform="fake"} 1.0' in worker.metrics.render()


async def test_a_non_retryable_error_fails_at_once(db):
    clock = VirtualClock(T0)
    platform = FakePlatform()
    platform.script("C1", ["fatal"])
    await seed(db, [("C1", "post", "", "x")])
    worker = worker_for(db, clock, platform)
    await worker.drain()
    (row,) = await outbox(db)
    assert (row.state, row.attempts) == ("failed", 1)
    assert "channel_not_found" in row.last_error


async def test_an_update_finds_its_message_through_message_ref(db):
    clock = VirtualClock(T0)
    platform = FakePlatform()
    platform.script("C1", ["500"])  # the post itself needs a retry first
    await seed(db, [("C1", "post", "request:1", "v1"), ("C1", "update", "request:1", "v2"),
                    ("C1", "update", "request:2", "never posted")])
    worker = worker_for(db, clock, platform)

    await drive(worker, clock)

    first, second, third = platform.received
    assert (second.outbound.kind, second.outbound.platform_message_id) == (
        "update", first.platform_message_id)
    assert third.outbound.kind == "post"  # no message to update yet: posted as new
    assert second.outbound.workspace == "T-ACME"
    async with db.uow() as uow:
        refs = {r.card_key: r.platform_message_id for r in await uow.all(select(MessageRef))}
    assert refs == {"request:1": first.platform_message_id,
                    "request:2": third.platform_message_id}


async def test_rows_not_yet_due_wait_for_the_clock(db):
    clock = VirtualClock(T0)
    platform = FakePlatform()
    await seed(db, [("C1", "post", "", "later")], at=T0 + timedelta(hours=1))
    worker = worker_for(db, clock, platform)
    assert await worker.drain() == 0
    clock.advance(timedelta(hours=1))
    assert await worker.drain() == 1


async def test_two_workers_on_one_database_send_each_message_once_in_order(db):
    clock = VirtualClock(T0)
    platform = FakePlatform()
    chats = [f"C{n}" for n in range(8)]
    for chat in chats[:4]:
        platform.script(chat, ["500", "timeout"])
    await seed(db, [(chat, "post", "", f"{chat}-{n}") for n in range(6) for chat in chats])
    workers = [worker_for(db, clock, platform, delivery_batch_size=5) for _ in range(2)]

    for _ in range(20):
        await asyncio.gather(*(w.drain() for w in workers))
        clock.advance(timedelta(minutes=2))

    assert platform.by_chat() == {chat: [f"{chat}-{n}" for n in range(6)] for chat in chats}


async def test_the_running_worker_sends_when_kicked_and_stops_cleanly(db):
    clock = VirtualClock(T0)
    platform = FakePlatform()
    worker = worker_for(db, clock, platform, delivery_poll_seconds=30)
    await worker.start()
    try:
        await seed(db, [("C1", "post", "", "a"), ("C1", "post", "", "b")])
        worker.kick()
        for _ in range(200):
            if len(platform.received) == 2:
                break
            await asyncio.sleep(0.01)
        assert [r.text for r in platform.received] == ["a", "b"]
    finally:
        await worker.stop()
