"""A busy chat's messages go as runs (bot/outbox_claim.py): claimed and put on record together,
still in order, still at least once — a failure, a crash or a rate limit in the middle of a run
never lets a message overtake the one before it."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import event

from adapters.base import DeliveryResult, Outbound
from bot.outbox_claim import claim
from bot.outbox_store import real_now, renew
from storage.tables import MessageRef
from fake_platform import FakePlatform
from test_delivery import T0, drive, outbox, seed, worker_for
from workflows.clock import VirtualClock


def count_commits(db) -> list[int]:
    commits = [0]
    event.listen(db.engine.sync_engine, "commit", lambda _conn: commits.__setitem__(0, commits[0] + 1))
    return commits


async def test_a_busy_chat_costs_one_claim_and_one_finish_per_run(db):
    await seed(db, [("A", "post", "", f"a{i}") for i in range(8)] + [("B", "post", "", "b0")])
    platform = FakePlatform()
    worker = worker_for(db, VirtualClock(T0), platform)
    commits = count_commits(db)
    await worker.drain()
    assert platform.by_chat() == {"A": [f"a{i}" for i in range(8)], "B": ["b0"]}
    assert {r.state for r in await outbox(db)} == {"sent"}
    # a claim, one finish per chat, and the claims that find nothing left (drain makes sure
    # twice); one message at a time was two transactions per message, 18 here
    assert commits[0] <= 5


async def test_a_run_stops_at_a_failure_and_the_rest_wait_behind_it(db):
    await seed(db, [("A", "post", "", f"a{i}") for i in range(4)])
    clock = VirtualClock(T0)
    platform = FakePlatform()
    platform.script("A", ["ok", "500"])
    worker = worker_for(db, clock, platform)
    await worker.drain()
    rows = await outbox(db)
    assert [(r.state, r.attempts) for r in rows] == [
        ("sent", 1), ("pending", 1), ("pending", 0), ("pending", 0)]
    await drive(worker, clock)
    assert platform.by_chat() == {"A": ["a0", "a1", "a2", "a3"]}


async def test_an_update_in_the_same_run_edits_the_card_it_just_posted(db):
    await seed(db, [("A", "post", "request:1", "v1"), ("A", "update", "request:1", "v2"),
                    ("A", "update", "request:1", "v3")])
    platform = FakePlatform()
    await worker_for(db, VirtualClock(T0), platform).drain()
    got = [(r.outbound.kind, r.platform_message_id) for r in platform.received]
    assert got == [("post", "m1"), ("update", "m1"), ("update", "m1")]
    async with db.uow() as uow:
        ref = await uow.first(MessageRef.__table__.select())
    assert ref.platform_message_id == "m1"


async def test_a_dead_workers_run_is_taken_over_through_its_head_in_order(db):
    await seed(db, [("A", "post", "", f"a{i}") for i in range(3)])
    dead = await claim(db, now=T0, limit=10, lease_seconds=0.01, owner="dead",
                       platforms={"fake"}, run_size={"fake": 8})
    assert [[c.row.id for c in run] for run in dead.runs] == [[1, 2, 3]]
    await asyncio.sleep(0.05)  # its lease runs out: three rows `sending`, one of them the head
    alone = await claim(db, now=T0, limit=10, lease_seconds=0.01, owner="other",
                        platforms={"fake"}, run_size={"fake": 1})
    assert [[c.row.id for c in run] for run in alone.runs] == [[1]]  # never a1 or a2 on its own
    await asyncio.sleep(0.05)
    platform = FakePlatform()
    await worker_for(db, VirtualClock(T0), platform).drain()
    assert platform.by_chat() == {"A": ["a0", "a1", "a2"]}
    assert {r.state for r in await outbox(db)} == {"sent"}


async def test_only_the_worker_holding_a_run_can_renew_its_lease(db):
    """A worker that lost its run (its lease ran out and another took it) must not keep the
    rows: its renewal reaches none of them, the holder's reaches all."""
    await seed(db, [("A", "post", "", f"a{i}") for i in range(3)])
    held = await claim(db, now=T0, limit=10, lease_seconds=0.01, owner="w1",
                       platforms={"fake"}, run_size={"fake": 8})
    ids = [c.row.id for run in held.runs for c in run]
    await asyncio.sleep(0.05)
    taken = await claim(db, now=T0, limit=10, lease_seconds=30, owner="w2",
                        platforms={"fake"}, run_size={"fake": 8})
    assert [c.row.id for run in taken.runs for c in run] == ids
    assert await renew(db, row_ids=ids, owner="w1", lease_seconds=60) == 0
    assert await renew(db, row_ids=ids, owner="w2", lease_seconds=60) == 3
    rows = await outbox(db)
    assert {r.lease_owner for r in rows} == {"w2"}
    assert all(r.lease_until > real_now() + timedelta(seconds=45) for r in rows)


class Watching:
    """Wraps the fake: notes the outbox rows' states as each message leaves."""

    def __init__(self, db, platform: FakePlatform) -> None:
        self.db, self.platform = db, platform
        self.rate_per_second, self.rate_per_chat = 0, platform.rate_per_chat
        self.states_when_sent: dict[str, list[str]] = {}

    async def deliver(self, message: Outbound) -> DeliveryResult:
        self.states_when_sent[message.payload["text"]] = [r.state for r in await outbox(self.db)]
        return await self.platform.deliver(message)


async def test_what_a_run_sent_is_on_record_before_it_waits_for_the_chats_rate_limit(db):
    await seed(db, [("A", "post", "", f"a{i}") for i in range(3)])
    watching = Watching(db, FakePlatform(rate_per_chat=2))  # two a second
    worker = worker_for(db, VirtualClock(T0), None)
    worker.adapters = {"fake": watching}
    await worker.drain()
    assert watching.states_when_sent == {
        "a0": ["sending", "sending", "sending"],
        "a1": ["sending", "sending", "sending"],  # no waiting yet: a0 is not on record
        "a2": ["sent", "sent", "sending"]}  # a2 waits for the chat's next second


async def test_a_row_not_yet_due_ends_the_run_before_it(db):
    await seed(db, [("A", "post", "", "now1"), ("A", "post", "", "now2")])
    await seed(db, [("A", "post", "", "later")], at=T0 + timedelta(hours=1))
    await seed(db, [("A", "post", "", "now3")])
    clock = VirtualClock(T0)
    platform = FakePlatform()
    worker = worker_for(db, clock, platform)
    await worker.drain()
    assert platform.by_chat() == {"A": ["now1", "now2"]}  # now3 waits behind `later`
    clock.advance(timedelta(hours=1))
    await worker.drain()
    assert platform.by_chat() == {"A": ["now1", "now2", "later", "now3"]}
