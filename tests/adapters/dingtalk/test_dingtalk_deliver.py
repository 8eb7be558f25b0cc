"""Outbox rows → DingTalk through the fake OpenAPI: a group card by the generic template with
the row's key as `outTrackId`, its update by `PUT /v1.0/card/instances`, a 1:1 card, an urgent
ping as the card plus a DING, markdown messages when no template is configured, and the
rendered parameters are strings."""
from __future__ import annotations

import pytest

from adapters.base import DeliveryError, Outbound
from adapters.dingtalk.adapter import DingTalkAdapter
from adapters.dingtalk.render import MAX_BUTTONS, card_params, form_text
from adapters.dingtalk.settings import DingTalkSettings
from adapters.i18n import translator
from dingtalk_fake import CLIENT_ID, CLIENT_SECRET, ROBOT, TEMPLATE, FakeDingTalk
from workflows.cards import Button, Card, CardField, Form, Input

CARD = Card(title="[XT-2026-001] 新品详情页改版", tone="warning", text="请审批",
            fields=[CardField("状态", "待初审")],
            buttons=[Button("request.approve", "通过", {"request": 1}, style="primary"),
                     Button("request.reject", "驳回", {"request": 1}, style="danger")])


@pytest.fixture
async def fake():
    running = await FakeDingTalk().start()
    yield running
    await running.stop()


def make(fake: FakeDingTalk, **overrides) -> DingTalkAdapter:
    values = {"card_template_id": TEMPLATE, **overrides}
    settings = DingTalkSettings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, robot_code=ROBOT,
                                api_url=fake.url, mode="http", **values)
    return DingTalkAdapter(settings=settings, core=None)  # type: ignore[arg-type]


def row(kind: str, conversation: str, card: Card | None = CARD, **kw) -> Outbound:
    payload = {"text": card.title if card else "纯文本"} | ({"card": card.to_dict()} if card else {})
    return Outbound(id=7, workspace="corp", conversation=conversation, kind=kind,
                    payload=payload | kw.pop("extra", {}), idempotency_key="collab-7-1", **kw)


def test_every_parameter_is_a_string_and_buttons_carry_action_and_value():
    params = card_params(CARD, translator("dingtalk", "zh-CN"))
    assert all(isinstance(v, str) for v in params.values())
    assert params["btn0_action"] == "request.approve" and params["btn0_value"] == '{"request":1}'
    assert params["btn1_style"] == "warning" and params[f"btn{MAX_BUTTONS - 1}_show"] == "false"
    assert "**状态**: 待初审" in params["markdown"] and params["color"] == "orange"


def test_a_form_becomes_a_guided_text():
    form = Card(title="新建协作需求", form=Form("request.new", "提交", [
        Input("name", "名称", required=True), Input("due", "截止", kind="date", placeholder="8/15")]))
    text = form_text(form, translator("dingtalk", "zh-CN"))
    assert "名称（必填）" in text and "截止: 8/15" in text


async def test_a_group_card_then_its_update(fake):
    adapter = make(fake)
    sent = await adapter.deliver(row("post", "cid618"))
    assert sent.platform_message_id == "collab-7-1"
    [create] = fake.find("POST", "createAndDeliver")
    assert create.json["outTrackId"] == "collab-7-1" and create.json["callbackType"] == "STREAM"
    assert create.headers["x-acs-dingtalk-access-token"].startswith("tok-")
    changed = Card(title=CARD.title, fields=[CardField("状态", "已通过初审")])
    await adapter.deliver(row("update", "cid618", changed, platform_message_id="collab-7-1"))
    assert "已通过初审" in fake.cards["collab-7-1"].params["markdown"]
    assert fake.cards["collab-7-1"].params["btn0_show"] == "false"
    await adapter.stop()


async def test_a_direct_card_and_an_urgent_ping_with_a_ding(fake):
    adapter = make(fake)
    await adapter.deliver(row("dm", "wang"))
    await adapter.deliver(row("urgent", "zhao", extra={"escalation": "vp"}))
    spaces = [c.json["openSpaceId"] for c in fake.find("POST", "createAndDeliver")]
    assert spaces == ["dtv1.card//IM_ROBOT.wang", "dtv1.card//IM_ROBOT.zhao"]
    [ding] = fake.find("POST", "/robot/ding/send")
    assert ding.json["receiverUserIdList"] == ["zhao"] and ding.json["remindType"] == 1
    await adapter.stop()


async def test_without_a_template_cards_are_markdown_messages(fake):
    adapter = make(fake, card_template_id="")
    await adapter.deliver(row("post", "cid618"))
    await adapter.deliver(row("dm", "wang", None))
    [group] = fake.find("POST", "/robot/groupMessages/send")
    assert group.json["msgKey"] == "sampleMarkdown" and "[通过]" in group.json["msgParam"]
    [oto] = fake.find("POST", "/robot/oToMessages/batchSend")
    assert oto.json["userIds"] == ["wang"] and oto.json["msgKey"] == "sampleText"
    await adapter.stop()


async def test_a_rate_limit_is_a_retryable_error_and_an_unknown_kind_a_final_one(fake):
    adapter = make(fake)
    fake.script("POST", "createAndDeliver", status=200,
                body={"errcode": 90018, "errmsg": "QpsLimitForAppkeyAndApi"})
    with pytest.raises(DeliveryError) as raised:
        await adapter.deliver(row("post", "cid618"))
    assert raised.value.retryable and raised.value.retry_after == 1.0
    assert (await adapter.deliver(row("post", "cid618"))).platform_message_id == "collab-7-1"
    with pytest.raises(DeliveryError) as unknown:
        await adapter.deliver(row("broadcast", "cid618"))
    assert not unknown.value.retryable
    await adapter.stop()
