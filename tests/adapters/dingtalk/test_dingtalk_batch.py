"""The same 1:1 message to many people in one `oToMessages/batchSend` call (20 ids at most):
outbox rows through the real delivery worker to the fake DingTalk. People DingTalk throttled are
sent again; people it does not know are reported and their row fails; cards with buttons, or
cards that later change in place, still go one by one."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import select

from adapters.dingtalk.adapter import DingTalkAdapter
from adapters.dingtalk.settings import DingTalkSettings
from bot.delivery import DeliveryWorker
from bot.time_settings import TimeSettings
from dingtalk_fake import CLIENT_ID, CLIENT_SECRET, ROBOT, TEMPLATE, FakeDingTalk
from storage.tables import OutboxMessage, Workspace
from workflows.cards import Button, Card
from workflows.clock import VirtualClock

NOW = datetime(2026, 7, 13, 2, 0, tzinfo=timezone.utc)
NOTICE = Card(title="周五下午三点例会", tone="info", text="请各部门负责人准时参加")
APPROVE = Card(title="待审批", buttons=[Button("request.approve", "通过", {"r": 1})])


@pytest.fixture
async def fake():
    running = await FakeDingTalk().start()
    yield running
    await running.stop()


async def deliver(db, fake: FakeDingTalk, rows: list[tuple[str, Card, str]]) -> DingTalkAdapter:
    """Queue (user, card, card_key) rows as the core's `outbox.direct` does; send them all."""
    settings = DingTalkSettings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, robot_code=ROBOT,
                                api_url=fake.url, mode="http", card_template_id=TEMPLATE)
    adapter = DingTalkAdapter(settings=settings, core=None)  # type: ignore[arg-type]
    adapter.rate_per_second = adapter.rate_per_chat = 1000.0
    async with db.uow() as uow:
        uow.add(Workspace(id="dingtalk:corp", platform="dingtalk", external_id="corp"))
        for user, card, card_key in rows:
            uow.append(OutboxMessage, workspace_id="dingtalk:corp", platform="dingtalk",
                       conversation=user, kind="dm", card_key=card_key, next_attempt_at=NOW,
                       created_at=NOW, payload={"card": card.to_dict(), "text": card.title, "user": user})
    worker = DeliveryWorker(db=db, clock=VirtualClock(NOW), adapters={"dingtalk": adapter},
                            settings=TimeSettings(delivery_batch_size=64, delivery_base_backoff_seconds=0))
    await worker.drain()
    await adapter.stop()
    return adapter


async def states(db) -> dict[str, str]:
    async with db.uow() as uow:
        return {f"{r.conversation}:{r.id}": r.state for r in await uow.all(select(OutboxMessage))}


async def test_an_announcement_to_25_people_takes_two_calls(db, fake):
    people = [f"u{i:02d}" for i in range(25)]
    adapter = await deliver(db, fake, [(u, NOTICE, "") for u in people] +
                            [("u00", APPROVE, ""), ("u01", NOTICE, "issue:7")])
    batches = [c.json["userIds"] for c in fake.find("POST", "oToMessages/batchSend")]
    assert sorted(len(b) for b in batches) == [5, 20] and sorted(sum(batches, [])) == people
    assert all(len(fake.to_user(u)) >= 1 for u in people)  # everyone got the notice
    assert "周五下午三点例会" in fake.to_user("u07")[0].text
    # buttons need the card; a card with a key is updated in place later: one by one
    cards = [c.json["openSpaceId"] for c in fake.find("POST", "createAndDeliver")]
    assert sorted(cards) == ["dtv1.card//IM_ROBOT.u00", "dtv1.card//IM_ROBOT.u01"]
    assert set((await states(db)).values()) == {"sent"}
    assert adapter.api.quota.used == 4  # 2 batches + 2 cards, not 27 calls


async def test_throttled_people_are_sent_again_and_unknown_ones_reported(db, fake):
    fake.script("POST", "oToMessages/batchSend", status=200, body={
        "processQueryKey": "q1", "invalidStaffIdList": ["gone"], "flowControlledStaffIdList": ["busy"]})
    await deliver(db, fake, [(u, NOTICE, "") for u in ("ann", "busy", "gone", "bob")])
    batches = [c.json["userIds"] for c in fake.find("POST", "oToMessages/batchSend")]
    assert batches == [["ann", "busy", "gone", "bob"], ["busy"]]
    assert [s.text for s in fake.to_user("busy")] == ["### 周五下午三点例会\n\n请各部门负责人准时参加"]
    async with db.uow() as uow:
        rows = {r.conversation: r for r in await uow.all(select(OutboxMessage))}
    assert {u: r.state for u, r in rows.items()} == {"ann": "sent", "busy": "sent", "gone": "failed",
                                                      "bob": "sent"}
    assert "DingTalk does not know user gone" in rows["gone"].last_error
