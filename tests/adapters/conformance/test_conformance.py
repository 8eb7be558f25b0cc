"""The adapter conformance suite: what every platform must do, one test body for all of them
(local, Slack, Feishu, DingTalk), each through its own fake platform over real HTTP/WebSocket
and the real core on SQLite (and PostgreSQL with TEST_DATABASE_URL)."""
from __future__ import annotations

import pytest
from sqlmodel import select

from storage.tables import AuditEvent, CollaborationRequest, OutboxMessage
from workflows.cards import Card
from workflows.errors import Unavailable

FILE = ("/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率\n协作部门: 技术部\n截止: 8/15\n"
        "交付标准: 页面加载时间≤2秒")


async def requests_filed(driver) -> int:
    async with driver.app.db.uow() as uow:
        return len(await uow.all(select(CollaborationRequest.id)))


async def test_a_request_filed_in_the_group_gets_its_card(driver):
    answer = await driver.say("zhou", FILE)
    assert "XT-2026-001" in answer
    assert any("XT-2026-001" in text for text in await driver.cards())
    assert len(await driver.buttons("request.approve")) == 1


async def test_a_forged_request_is_refused_with_401(driver):
    status = await driver.forged()
    if status is None:
        pytest.skip(f"{driver.platform} has no signatures")
    assert status == 401
    assert await requests_filed(driver) == 0


async def test_the_same_delivery_twice_has_one_effect(driver):
    await driver.say("zhou", FILE, delivery="delivery-1")
    await driver.say("zhou", FILE, delivery="delivery-1")  # the platform delivers it again
    assert await requests_filed(driver) == 1
    assert len(await driver.buttons("request.approve")) == 1
    [button] = await driver.buttons("request.approve")
    await driver.click("wang", button, delivery="click-1")
    await driver.click("wang", button, delivery="click-1")
    async with driver.app.db.uow() as uow:
        audit = [a.action for a in await uow.all(select(AuditEvent))]
    assert len([a for a in audit if "approv" in a]) == 1, audit


async def test_a_click_by_the_wrong_person_is_refused_privately_and_changes_nothing(driver):
    await driver.say("zhou", FILE)
    before = await driver.cards()
    [button] = await driver.buttons("request.approve")
    answer = await driver.click("zhang", button)  # 销售部's head may not review 产品部's request
    assert answer  # told why, privately
    assert await driver.cards() == before
    assert len(await driver.buttons("request.approve")) == 1


async def test_the_clicked_card_shows_its_new_state(driver):
    await driver.say("zhou", FILE)
    before = await _numbered(driver, "[XT-2026-001]")
    [button] = await driver.buttons("request.approve")
    await driver.click("wang", button)
    after = await _numbered(driver, "[XT-2026-001]")
    assert len(before) == 1 and after[0] != before[0]  # the same (first) message, a new state
    assert await driver.buttons("request.approve") == []


async def write_rows(driver, *rows: tuple[str, str, dict]) -> None:
    """Outbox rows as the core writes them (workflows.outbox): (kind, conversation, extra)."""
    card = Card(title="XT-2026-009 还有 2 小时到期", text="请尽快处理")
    async with driver.app.db.uow() as uow:
        for kind, conversation, extra in rows:
            uow.append(OutboxMessage, workspace_id=driver.workspace_id, platform=driver.platform,
                       conversation=conversation, kind=kind,
                       payload={"card": card.to_dict(), "text": card.title, **extra},
                       next_attempt_at=driver.app.clock.now(), created_at=driver.app.clock.now())
    driver.app.delivery.kick()


async def test_a_direct_message_and_an_urgent_ping_reach_the_person(driver):
    wang = driver.user_id("wang")
    await write_rows(driver, ("dm", wang, {"user": wang}),
                     ("urgent", driver.user_id("zhao"), {"user": driver.user_id("zhao"), "escalation": "vp"}))
    assert await driver.eventually(lambda: driver.dms("wang"))
    assert any("XT-2026-009" in text for text in await driver.dms("wang"))
    assert any("XT-2026-009" in text for text in await driver.urgent("zhao"))
    assert await driver.urgent("wang") == []


async def test_a_rate_limited_post_is_sent_once_after_the_limit(driver):
    try:
        driver.throttle_next_post()
    except NotImplementedError:
        pytest.skip(f"{driver.platform} has no rate limit")
    await driver.say("zhou", FILE)
    cards = await driver.eventually(
        lambda: _numbered(driver, "[XT-2026-001]"), timeout=10)
    assert len(cards) == 1


async def _numbered(driver, number: str) -> list[str]:
    return [t for t in await driver.cards() if number in t]


async def test_a_database_outage_is_answered_so_the_platform_delivers_again(driver, monkeypatch):
    async def down(event):
        raise Unavailable("database unreachable")

    real = driver.app.core.handle
    monkeypatch.setattr(driver.app.core, "handle", down)
    outcome = await redeliverable(driver)
    assert outcome == "redeliver", outcome
    assert await _numbered(driver, "XT-2026-001") == []  # nobody was told it was filed
    monkeypatch.setattr(driver.app.core, "handle", real)
    await driver.say("zhou", FILE, delivery="outage-1")  # the platform's redelivery
    assert len(await _numbered(driver, "[XT-2026-001]")) == 1


async def redeliverable(driver) -> str:
    """Send one command while the database is down; how the transport answered it."""
    import httpx

    if driver.platform == "dingtalk":
        from dingtalk_fake import message_data

        ack = await driver.w.fake.push("/v1.0/im/bot/messages/get", message_data(
            FILE, sender="zhou", msg_id="outage-1"), timeout=2)
        return "redeliver" if ack is None or ack["code"] >= 500 else f"acked {ack}"
    if driver.platform == "slack":
        from slack_support import slash_body

        response = await driver.w.http.post(slash_body(text=FILE, user="U_ZHOU", channel="C0618",
                                                       team="T0618", trigger="outage-1"))
    elif driver.platform == "feishu":
        from feishu_fakes import message_event

        response = await driver.w.post(message_event(f"@bot {FILE}", sender="ou_zhou",
                                                     chat_id=driver.group, event_id="outage-1"))
    else:
        response = await driver.p.http.post("/local/messages", json={
            "chat": driver.group, "user": "zhou", "text": FILE, "event_id": "outage-1"})
    assert isinstance(response, httpx.Response)
    return "redeliver" if response.status_code == 503 else f"answered {response.status_code}"
