"""The outbox worker (DESIGN rule 5): every message arrives exactly once, in order per chat,
through 429s, 5xx, timeouts and connection errors; only a permanent error fails a row, and the
chat is told in its place."""
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
            delivery_max_backoff_seconds=60, delivery_breaker_failures=1000)


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


async def test_a_message_that_keeps_failing_transiently_is_never_given_up(db):
    clock = VirtualClock(T0)
    platform = FakePlatform()
    platform.script("C1", ["500"] * 30)  # 30 attempts: once "8 attempts and it is failed"
    await seed(db, [("C1", "post", "", "kept"), ("C1", "post", "", "next")])
    worker = worker_for(db, clock, platform)

    await drive(worker, clock)

    assert platform.by_chat() == {"C1": ["kept", "next"]}
    kept, after = await outbox(db)
    assert (kept.state, kept.attempts) == ("sent", 31)
    assert after.state == "sent"
    assert worker.metrics.outbox_failed.labels("fake")._value.get() == 0


async def test_a_permanent_error_is_replaced_by_a_notice_in_the_chat_before_the_next_message(db):
    clock = VirtualClock(T0)
    platform = FakePlatform()
    platform.script("C1", ["fatal"])
    await seed(db, [("C1", "post", "request:1", "refused"), ("C1", "post", "", "next")])
    async with db.uow() as uow:
        (await uow.get(Workspace, "fake:acme")).locale = "en"
    worker = worker_for(db, clock, platform)

    await drive(worker, clock)

    (notice, nxt) = platform.received
    assert notice.text == "A message could not be delivered"
    assert f"reference #{(await outbox(db))[0].id}" in notice.outbound.payload["card"]["text"]
    assert nxt.text == "next"  # after the notice, not silently in the refused one's place
    failed, after = await outbox(db)
    assert (failed.state, after.state) == ("failed", "sent")
    assert "channel_not_found" in failed.last_error
    assert failed.payload["failed"]["payload"]["text"] == "refused"  # the original, kept
    assert worker.metrics.outbox_failed.labels("fake")._value.get() == 1
    assert b'collab_outbox_failed_total{platform="fake"} 1.0' in worker.metrics.render()


async def test_a_chat_that_is_gone_fails_its_rows_once_each(db):
    clock = VirtualClock(T0)
    platform = FakePlatform()
    platform.script("C1", ["fatal"] * 4)  # the message, its notice; the next, its notice
    await seed(db, [("C1", "post", "", "x"), ("C1", "post", "", "y")])
    worker = worker_for(db, clock, platform)
    await drive(worker, clock)
    rows = await outbox(db)
    assert [(r.state, r.attempts) for r in rows] == [("failed", 2), ("failed", 2)]
    assert platform.received == []
    assert worker.metrics.outbox_failed.labels("fake")._value.get() == 2


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
