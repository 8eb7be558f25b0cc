"""Outbound to Slack: outbox rows through the real delivery worker and the Slack adapter to the
fake Slack Web API — 429 Retry-After honoured, permanent errors not retried, DMs opened."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from adapters.base import DeliveryError, Outbound
from adapters.slack.adapter import SlackAdapter
from adapters.slack.settings import SlackSettings
from bot.delivery import DeliveryWorker
from bot.metrics import Metrics
from bot.time_settings import TimeSettings
from slack_fake import FakeSlack, Scripted
from slack_support import FakeCore
from storage.tables import OutboxMessage, Workspace
from workflows.cards import Button, Card, Mention
from workflows.clock import VirtualClock

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)
CARD = Card(title="[XT-2026-001] 618大促", text="submitted", mentions=[Mention("U0HEAD", "刘敏")],
            buttons=[Button("request.approve", "Approve", {"k": "request:1", "r": 1},
                            style="primary")]).to_dict()
RATE_LIMITED = Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"})


@pytest.fixture
async def fake_slack():
    fake = await FakeSlack().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def adapter(fake_slack):
    settings = SlackSettings(bot_token="xoxb-test", signing_secret="s", app_token="",
                             api_url=fake_slack.api_url, mode="http")
    slack = SlackAdapter(settings=settings, core=FakeCore())
    yield slack
    await slack.stop()


async def seed(db, rows: list[dict]) -> None:
    async with db.uow() as uow:
        uow.add(Workspace(id="slack:T111", platform="slack", external_id="T111", locale="en"))
        for row in rows:
            uow.add(OutboxMessage(workspace_id="slack:T111", platform="slack", next_attempt_at=T0,
                                  created_at=T0, **row))


async def settle(db, worker: DeliveryWorker, clock: VirtualClock) -> list[OutboxMessage]:
    for _ in range(20):
        await worker.drain()
        async with db.uow() as uow:
            rows = await uow.all(select(OutboxMessage).order_by(OutboxMessage.id))
        if all(r.state in ("sent", "failed") for r in rows):
            return rows
        clock.advance(timedelta(minutes=1))
    raise AssertionError("outbox did not settle")


def worker(db, clock, adapter) -> DeliveryWorker:
    return DeliveryWorker(db=db, clock=clock, adapters={"slack": adapter}, metrics=Metrics(),
                          settings=TimeSettings(delivery_timeout_seconds=5))


async def test_a_429_is_retried_after_retry_after_and_the_card_then_updates_in_place(
        db, fake_slack, adapter):
    clock = VirtualClock(T0)
    fake_slack.script("chat.postMessage", RATE_LIMITED)
    await seed(db, [dict(conversation="C0618", kind="post", card_key="request:1",
                         payload={"card": CARD, "text": CARD["title"]})])
    rows = await settle(db, worker(db, clock, adapter), clock)
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 2 and posts[0].body == posts[1].body  # the 429, then the real send
    assert rows[0].state == "sent" and rows[0].attempts == 2
    assert rows[0].platform_message_id == "1700000000.000001"
    assert "Retry-After" not in rows[0].last_error  # finished clean
    assert posts[1].headers["Authorization"] == "Bearer xoxb-test"
    assert posts[1].body["blocks"][0]["type"] == "header"
    assert "<@U0HEAD>" in posts[1].body["text"]  # the fallback pings the head

    async with db.uow() as uow:  # the card changes state later: the same message is updated
        uow.add(OutboxMessage(workspace_id="slack:T111", platform="slack", conversation="C0618",
                              kind="update", card_key="request:1", next_attempt_at=clock.now(),
                              created_at=clock.now(), payload={"card": {**CARD, "buttons": []},
                                                               "text": "approved"}))
    await settle(db, worker(db, clock, adapter), clock)
    [update] = fake_slack.calls_to("chat.update")
    assert (update.body["channel"], update.body["ts"]) == ("C0618", "1700000000.000001")
    assert not any(b["type"] == "actions" for b in update.body["blocks"])


async def test_the_adapter_itself_never_retries_a_429_it_reports_retry_after(fake_slack, adapter):
    fake_slack.script("chat.postMessage", RATE_LIMITED)
    with pytest.raises(DeliveryError) as caught:
        await adapter.deliver(Outbound(id=1, workspace="T111", conversation="C1", kind="post",
                                       payload={"text": "hi"}))
    assert (caught.value.retryable, caught.value.retry_after) == (True, 30.0)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize("status,error,retryable", [
    (200, "channel_not_found", False), (200, "not_in_channel", False),
    (200, "invalid_blocks", False), (200, "internal_error", True),
    (500, "fatal_error", True), (503, "service_unavailable", True),
])
async def test_slack_errors_are_permanent_or_retryable(fake_slack, adapter, status, error,
                                                        retryable):
    fake_slack.script("chat.postMessage", Scripted(status, {"ok": False, "error": error}))
    with pytest.raises(DeliveryError) as caught:
        await adapter.deliver(Outbound(id=1, workspace="T111", conversation="C1", kind="post",
                                       payload={"text": "hi"}))
    assert caught.value.retryable is retryable and error in str(caught.value)


async def test_a_dead_slack_is_a_retryable_error(adapter):
    adapter.outbound_client.base_url = "http://127.0.0.1:9/api/"  # nothing listens on port 9
    with pytest.raises(DeliveryError) as caught:
        await adapter.deliver(Outbound(id=1, workspace="T111", conversation="C1", kind="post",
                                       payload={"text": "hi"}))
    assert caught.value.retryable is True


async def test_urgent_pings_and_dms_open_the_persons_im_once_and_mention_them(fake_slack,
                                                                             adapter):
    urgent = Outbound(id=1, workspace="T111", conversation="U0HEAD", kind="urgent",
                      payload={"card": CARD, "text": "Urgent issue unacknowledged", "escalation": "head"})
    first = await adapter.deliver(urgent)
    second = await adapter.deliver(Outbound(id=2, workspace="T111", conversation="U0HEAD",
                                            kind="dm", payload={"text": "reminder"}))
    assert [c.body for c in fake_slack.calls_to("conversations.open")] == [{"users": "U0HEAD"}]
    ping, dm = fake_slack.calls_to("chat.postMessage")
    assert ping.body["channel"] == dm.body["channel"] == "D0HEAD"
    assert ping.body["text"].startswith(":rotating_light: <@U0HEAD> Urgent issue")
    assert ping.body["blocks"][0]["text"]["text"] == ":rotating_light: <@U0HEAD>"
    assert dm.body["text"] == "<@U0HEAD> reminder"
    assert first.platform_message_id.startswith("D0HEAD:")
    update = await adapter.deliver(Outbound(id=3, workspace="T111", conversation="U0HEAD",
                                            kind="update", payload={"text": "acknowledged"},
                                            platform_message_id=first.platform_message_id))
    [call] = fake_slack.calls_to("chat.update")
    assert (call.body["channel"], call.body["ts"]) == tuple(first.platform_message_id.split(":"))
    assert update.platform_message_id == first.platform_message_id
    assert second.platform_message_id.startswith("D0HEAD:")
