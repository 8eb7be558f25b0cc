"""`deliver()` against a fake Feishu Open API over real HTTP: sends, updates, DMs, R14 buzzes,
rate limits (429 / 99991400), retryable and final failures, and the tenant token cache."""
from __future__ import annotations

import pytest

from adapters.base import DeliveryError, Outbound
from adapters.feishu.adapter import FeishuAdapter
from feishu_fakes import FakeCore, FakeFeishu, recorded, settings
from workflows.cards import Button, Card

CARD = Card(title="问题升级：支付页白屏", tone="danger", text="2 小时未响应（R14）",
            buttons=[Button("issue.ack", "我来处理", {"issue": 7}, style="primary")]).to_dict()


@pytest.fixture
async def fake():
    server = await FakeFeishu().start()
    yield server
    await server.stop()


@pytest.fixture
async def adapter(fake):
    built = FeishuAdapter(settings=settings(fake.url), core=FakeCore())
    yield built
    await built.stop()


def outbound(kind: str, conversation: str = "oc_group", **extra) -> Outbound:
    values = dict(id=1, workspace="2ca1d211f64f6438", conversation=conversation, kind=kind,
                  payload={"card": CARD, "text": "问题升级"}, idempotency_key="outbox-1")
    values.update(extra)
    return Outbound(**values)


async def test_post_sends_an_interactive_card_with_the_outbox_uuid(adapter, fake):
    result = await adapter.deliver(outbound("post"))
    [send] = fake.find("POST", "/open-apis/im/v1/messages")
    assert send.query == {"receive_id_type": "chat_id"}
    assert send.json["receive_id"] == "oc_group" and send.json["msg_type"] == "interactive"
    assert send.json["uuid"] == "outbox-1"
    assert send.content["schema"] == "2.0" and send.content["config"]["update_multi"] is True
    assert send.headers["authorization"] == "Bearer t-fake-1"
    assert result.platform_message_id == "om_fake_1"
    assert set(send.json) == set(recorded("send_message_request")["json"])  # the recorded shape


async def test_a_retried_post_is_deduplicated_by_uuid(adapter, fake):
    first = await adapter.deliver(outbound("post"))
    again = await adapter.deliver(outbound("post"))
    assert first.platform_message_id == again.platform_message_id  # Feishu: same uuid, one message


async def test_update_patches_the_message(adapter, fake):
    posted = await adapter.deliver(outbound("post"))
    resolved = dict(CARD, title="问题已解决", tone="success", buttons=[])
    result = await adapter.deliver(outbound("update", platform_message_id=posted.platform_message_id,
                                            payload={"card": resolved}))
    [patch] = fake.find("PATCH")
    assert patch.path == f"/open-apis/im/v1/messages/{posted.platform_message_id}"
    assert set(patch.json) == {"content"} and patch.content["header"]["template"] == "green"
    assert result.platform_message_id == posted.platform_message_id
    assert fake.to("oc_group")[0]["content"]["header"]["title"]["content"] == "问题已解决"


async def test_updating_a_message_feishu_does_not_know_is_final(adapter, fake):
    with pytest.raises(DeliveryError) as error:
        await adapter.deliver(outbound("update", platform_message_id="om_gone"))
    assert error.value.retryable is False


async def test_update_without_a_message_id_is_final(adapter):
    with pytest.raises(DeliveryError) as error:
        await adapter.deliver(outbound("update"))
    assert error.value.retryable is False


async def test_dm_goes_to_the_open_id_as_text_when_there_is_no_card(adapter, fake):
    await adapter.deliver(outbound("dm", "ou_pm", payload={"text": "明天 17:00 前请同步进展"}))
    [send] = fake.find("POST", "/open-apis/im/v1/messages")
    assert send.query == {"receive_id_type": "open_id"} and send.json["receive_id"] == "ou_pm"
    assert send.json["msg_type"] == "text" and send.content == {"text": "明天 17:00 前请同步进展"}


async def test_escalation_to_the_head_buzzes_the_heads_open_id_in_the_app(adapter, fake):
    result = await adapter.deliver(outbound("urgent", "ou_tech_head",
                                            payload={"card": CARD, "escalation": "head"}))
    send, buzz = fake.api_calls
    assert send.query == {"receive_id_type": "open_id"} and send.json["receive_id"] == "ou_tech_head"
    assert buzz.method == "PATCH"
    assert buzz.path == f"/open-apis/im/v1/messages/{result.platform_message_id}/urgent_app"
    assert buzz.query == {"user_id_type": "open_id"}
    assert buzz.json == {"user_id_list": ["ou_tech_head"]}  # the recorded request shape
    assert buzz.json.keys() == recorded("urgent_requests")["urgent_app"]["json"].keys()


@pytest.mark.parametrize("configured, expected", [("app", "urgent_app"), ("sms", "urgent_sms"),
                                                  ("phone", "urgent_phone")])
async def test_vp_step_uses_the_configured_buzz(fake, configured, expected):
    adapter = FeishuAdapter(settings=settings(fake.url, vp_urgent=configured),
                            core=FakeCore())
    await adapter.deliver(outbound("urgent", "ou_vp", payload={"card": CARD, "escalation": "vp"}))
    [buzz] = fake.find("PATCH")
    assert buzz.path.endswith(expected) and buzz.json == {"user_id_list": ["ou_vp"]}
    await adapter.stop()


async def test_refused_phone_buzz_falls_back_to_the_app_buzz(fake):
    adapter = FeishuAdapter(settings=settings(fake.url, vp_urgent="phone"), core=FakeCore())
    fake.script("PATCH", "urgent_phone", status=400, body={"code": 230049, "msg": "quota exceeded"})
    await adapter.deliver(outbound("urgent", "ou_vp", payload={"card": CARD, "escalation": "vp"}))
    assert [c.path.rsplit("/", 1)[1] for c in fake.find("PATCH")] == ["urgent_phone", "urgent_app"]
    await adapter.stop()


async def test_429_is_retryable_with_feishus_reset_hint_then_the_retry_succeeds(adapter, fake):
    limited = recorded("rate_limited_response")
    fake.script("POST", "/im/v1/messages", status=429, body=limited["body"],
                headers={"x-ogw-ratelimit-reset": limited["headers"]["x-ogw-ratelimit-reset"]})
    with pytest.raises(DeliveryError) as error:
        await adapter.deliver(outbound("post"))
    assert error.value.retryable is True and error.value.retry_after == 52.0
    result = await adapter.deliver(outbound("post"))  # what the delivery worker does next
    assert result.platform_message_id == "om_fake_1"
    assert len(fake.find("POST", "/im/v1/messages")) == 2


async def test_code_99991400_without_429_is_still_a_rate_limit(adapter, fake):
    fake.script("POST", "/im/v1/messages", status=400, body={"code": 99991400, "msg": "limit"})
    with pytest.raises(DeliveryError) as error:
        await adapter.deliver(outbound("post"))
    assert error.value.retryable is True


async def test_server_errors_are_retryable_other_codes_final(adapter, fake):
    fake.script("POST", "/im/v1/messages", status=502, body={"msg": "bad gateway"})
    with pytest.raises(DeliveryError) as server_error:
        await adapter.deliver(outbound("post"))
    fake.script("POST", "/im/v1/messages", status=400, body={"code": 230002, "msg": "bot not in chat"})
    with pytest.raises(DeliveryError) as final:
        await adapter.deliver(outbound("post"))
    assert server_error.value.retryable is True and final.value.retryable is False
    assert "230002" in str(final.value)


async def test_unreachable_feishu_is_retryable():
    adapter = FeishuAdapter(settings=settings("http://127.0.0.1:9", request_timeout_seconds=2),
                            core=FakeCore())
    with pytest.raises(DeliveryError) as error:
        await adapter.deliver(outbound("post"))
    assert error.value.retryable is True
    await adapter.stop()


async def test_token_is_fetched_once_and_refreshed_when_feishu_says_it_is_invalid(adapter, fake):
    await adapter.deliver(outbound("post", idempotency_key="a"))
    await adapter.deliver(outbound("post", idempotency_key="b"))
    assert fake.tokens_issued == 1
    [token_call] = fake.find("POST", "tenant_access_token")
    assert token_call.json == recorded("tenant_access_token")["request"]["json"] | {
        "app_id": "cli_9f5343c580712544"}
    fake.script("POST", "/im/v1/messages", status=400, body={"code": 99991663, "msg": "invalid"})
    await adapter.deliver(outbound("post", idempotency_key="c"))
    assert fake.tokens_issued == 2
    assert fake.find("POST", "/im/v1/messages")[-1].headers["authorization"] == "Bearer t-fake-2"


async def test_token_is_refreshed_before_it_expires(fake):
    from adapters.feishu.api import FeishuApi

    now = [1000.0]
    api = FeishuApi(settings=settings(fake.url), monotonic=lambda: now[0])
    assert await api.tenant_token() == "t-fake-1"
    now[0] += 7200 - 601  # 10 minutes before `expire`: still cached
    assert await api.tenant_token() == "t-fake-1"
    now[0] += 2
    assert await api.tenant_token() == "t-fake-2"
    await api.aclose()


async def test_long_idempotency_keys_are_hashed_to_feishus_50_characters(adapter, fake):
    await adapter.deliver(outbound("post", idempotency_key="outbox:" + "x" * 80))
    [send] = fake.find("POST", "/im/v1/messages")
    assert len(send.json["uuid"]) <= 50
