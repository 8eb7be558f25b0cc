"""The DingTalk OpenAPI client against respx: one token for concurrent callers, a token DingTalk
calls invalid fetched again, QPS limits (90018 / QpsLimitForAppkeyAndApi) retryable after ~1 s,
the monthly quota counted and its exhaustion surfaced, 5xx and the per-IP ban retryable, other
errors final, and a createAndDeliver whose 200 holds a failed delivery is an error."""
from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from adapters.dingtalk.api import DingTalkApi, DingTalkApiError, classify
from adapters.dingtalk.settings import DingTalkSettings

BASE = "http://dingtalk.test"


def api(**overrides) -> DingTalkApi:
    settings = DingTalkSettings(client_id="k", client_secret="s", robot_code="r", api_url=BASE,
                                card_template_id="tpl", **overrides)
    return DingTalkApi(settings=settings)


def token_route(mock: respx.MockRouter, *tokens: str) -> respx.Route:
    return mock.post(f"{BASE}/v1.0/oauth2/accessToken").mock(side_effect=[
        httpx.Response(200, json={"accessToken": t, "expireIn": 7200}) for t in tokens])


async def test_concurrent_callers_share_one_token_fetch():
    with respx.mock(assert_all_called=True) as mock:
        token = token_route(mock, "t1")
        send = mock.post(f"{BASE}/v1.0/robot/groupMessages/send").mock(
            return_value=httpx.Response(200, json={"processQueryKey": "q"}))
        client = api()
        await asyncio.gather(*[client.group_send(conversation="c", msg_key="sampleText",
                                                 msg_param="{}") for _ in range(10)])
        assert token.call_count == 1 and send.call_count == 10
        assert {c.request.headers["x-acs-dingtalk-access-token"] for c in send.calls} == {"t1"}
        await client.aclose()


async def test_an_invalid_token_is_fetched_again_once():
    with respx.mock() as mock:
        token = token_route(mock, "old", "new")
        mock.post(f"{BASE}/v1.0/robot/groupMessages/send").mock(side_effect=[
            httpx.Response(401, json={"code": "InvalidAuthentication", "message": "expired"}),
            httpx.Response(200, json={"processQueryKey": "q"})])
        client = api()
        assert await client.group_send(conversation="c", msg_key="k", msg_param="{}") == "q"
        assert token.call_count == 2
        await client.aclose()


@pytest.mark.parametrize("status,body,retryable,wait", [
    (403, {"code": "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "message": "频繁"}, True, 1.0),
    (200, {"errcode": 90018, "errmsg": "qps"}, True, 1.0),
    (200, {"errcode": 90002, "errmsg": "global qps"}, True, 1.0),
    (403, {"code": "Forbidden.AccessDenied.ApiCountLimitForOrg"}, True, 3600.0),
    (502, {"code": "ServiceUnavailable"}, True, None),
    (403, None, True, None),  # the per-IP ban: an HTML page
    (400, {"code": "param.invalid", "message": "robotCode"}, False, None),
    (200, {"errcode": 400002, "errmsg": "invalid user"}, False, None),
])
def test_errors_are_classified_by_their_code(status, body, retryable, wait):
    error = classify(status, body, where="POST /x")
    assert error is not None and error.retryable is retryable and error.retry_after == wait


def test_a_success_is_no_error():
    assert classify(200, {"processQueryKey": "q"}, where="x") is None


async def test_a_rate_limit_then_success_is_one_send_after_the_worker_retries():
    with respx.mock() as mock:
        token_route(mock, "t")
        send = mock.post(f"{BASE}/v1.0/robot/groupMessages/send").mock(side_effect=[
            httpx.Response(200, json={"errcode": 90018, "errmsg": "qps"}),
            httpx.Response(200, json={"processQueryKey": "q"})])
        client = api()
        with pytest.raises(DingTalkApiError) as raised:
            await client.group_send(conversation="c", msg_key="k", msg_param="{}")
        assert raised.value.retryable and raised.value.retry_after == 1.0
        assert await client.group_send(conversation="c", msg_key="k", msg_param="{}") == "q"
        assert send.call_count == 2
        await client.aclose()


async def test_connection_errors_and_timeouts_are_retryable():
    with respx.mock() as mock:
        token_route(mock, "t")
        mock.post(f"{BASE}/v1.0/robot/ding/send").mock(side_effect=[
            httpx.ConnectError("refused"), httpx.ReadTimeout("slow")])
        client = api()
        for _ in range(2):
            with pytest.raises(DingTalkApiError) as raised:
                await client.ding(user_ids=["u"], content="x")
            assert raised.value.retryable
        await client.aclose()


async def test_the_monthly_quota_is_counted_and_its_exhaustion_remembered():
    with respx.mock() as mock:
        token_route(mock, "t")
        mock.post(f"{BASE}/v1.0/robot/groupMessages/send").mock(side_effect=[
            httpx.Response(200, json={"processQueryKey": "q"}),
            httpx.Response(403, json={"code": "Forbidden.AccessDenied.ApiCountLimitForOrg"})])
        client = api(monthly_quota=2, quota_warn_at=(50,))
        await client.group_send(conversation="c", msg_key="k", msg_param="{}")
        assert client.quota.used == 1 and client.quota.reached(1) == [50] and client.quota.remaining == 1
        with pytest.raises(DingTalkApiError):
            await client.group_send(conversation="c", msg_key="k", msg_param="{}")
        assert client.quota.spent
        await client.aclose()


async def test_flow_controlled_ids_are_sent_again_and_invalid_ones_reported():
    with respx.mock() as mock:
        token_route(mock, "t")
        batch = mock.post(f"{BASE}/v1.0/robot/oToMessages/batchSend").mock(side_effect=[
            httpx.Response(200, json={"invalidStaffIdList": ["gone"],
                                      "flowControlledStaffIdList": ["busy"]}),
            httpx.Response(200, json={"processQueryKey": "q"}),
            httpx.Response(200, json={"invalidStaffIdList": [], "flowControlledStaffIdList": []})])
        client = api()
        users = [f"u{i}" for i in range(20)] + ["gone", "busy"]
        invalid = await client.oto_send(user_ids=users, msg_key="k", msg_param="{}")
        sizes = [len(__import__("json").loads(c.request.content)["userIds"]) for c in batch.calls]
        assert invalid == ["gone"] and sizes == [20, 2, 1]
        await client.aclose()


async def test_a_card_whose_delivery_failed_in_a_200_is_an_error():
    with respx.mock() as mock:
        token_route(mock, "t")
        mock.post(f"{BASE}/v1.0/card/instances/createAndDeliver").mock(return_value=httpx.Response(
            200, json={"success": True, "result": {"outTrackId": "o", "deliverResults": [
                {"spaceType": "IM_GROUP", "spaceId": "c", "success": False,
                 "errorMsg": "robot not in group"}]}}))
        client = api()
        with pytest.raises(DingTalkApiError, match="robot not in group") as raised:
            await client.create_and_deliver(out_track_id="o", space="IM_GROUP.c", params={"a": "b"})
        assert not raised.value.retryable
        await client.aclose()
