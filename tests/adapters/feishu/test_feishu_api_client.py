"""FeishuApi against respx: concurrent callers share one tenant-token fetch, an "invalid token"
answer refreshes it once, 429 / code 99991400 are retryable with Feishu's reset hint, 5xx and
transport errors retryable, other codes final."""
from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from adapters.feishu.api import FeishuApi, FeishuApiError
from adapters.feishu.settings import FeishuSettings

BASE = "http://feishu.test"
TOKEN = f"{BASE}/open-apis/auth/v3/tenant_access_token/internal"
SEND = f"{BASE}/open-apis/im/v1/messages"


def api() -> FeishuApi:
    return FeishuApi(settings=FeishuSettings(app_id="cli_1", app_secret="s", domain=BASE))


def tokens(mock: respx.MockRouter, *values: str) -> respx.Route:
    return mock.post(TOKEN).mock(side_effect=[
        httpx.Response(200, json={"code": 0, "tenant_access_token": v, "expire": 7200}) for v in values])


def sent(message_id: str = "om_1") -> httpx.Response:
    return httpx.Response(200, json={"code": 0, "data": {"message_id": message_id}})


async def test_a_token_race_fetches_one_token():
    with respx.mock() as mock:
        token = tokens(mock, "t1")
        send = mock.post(SEND).mock(return_value=sent())
        client = api()
        await asyncio.gather(*[client.send(receive_id_type="chat_id", receive_id="oc", msg_type="text",
                                           content="{}") for _ in range(12)])
        assert token.call_count == 1 and send.call_count == 12
        assert {c.request.headers["authorization"] for c in send.calls} == {"Bearer t1"}
        await client.aclose()


async def test_an_invalid_token_is_refreshed_once():
    with respx.mock() as mock:
        token = tokens(mock, "old", "new")
        mock.post(SEND).mock(side_effect=[httpx.Response(200, json={"code": 99991663, "msg": "invalid"}),
                                          sent("om_2")])
        client = api()
        assert await client.send(receive_id_type="chat_id", receive_id="oc", msg_type="text",
                                 content="{}") == "om_2"
        assert token.call_count == 2
        await client.aclose()


@pytest.mark.parametrize("response,retryable,wait", [
    (httpx.Response(429, json={"code": 99991400, "msg": "limit"}, headers={"x-ogw-ratelimit-reset": "3"}), True, 3.0),
    (httpx.Response(200, json={"code": 99991400, "msg": "limit"}), True, None),
    (httpx.Response(503, text="upstream down"), True, None),
    (httpx.Response(400, json={"code": 230002, "msg": "bot not in chat"}), False, None),
    (httpx.Response(200, text="<html>"), False, None),
])
async def test_errors_are_classified(response, retryable, wait):
    with respx.mock() as mock:
        tokens(mock, "t")
        mock.post(SEND).mock(return_value=response)
        client = api()
        with pytest.raises(FeishuApiError) as raised:
            await client.send(receive_id_type="chat_id", receive_id="oc", msg_type="text", content="{}")
        assert raised.value.retryable is retryable and raised.value.retry_after == wait
        await client.aclose()


async def test_a_rate_limit_then_success():
    with respx.mock() as mock:
        tokens(mock, "t")
        send = mock.post(SEND).mock(side_effect=[
            httpx.Response(429, json={"code": 99991400, "msg": "limit"}), sent("om_9")])
        client = api()
        with pytest.raises(FeishuApiError):
            await client.send(receive_id_type="chat_id", receive_id="oc", msg_type="text", content="{}")
        assert await client.send(receive_id_type="chat_id", receive_id="oc", msg_type="text",
                                 content="{}") == "om_9"
        assert send.call_count == 2
        await client.aclose()


async def test_transport_errors_are_retryable():
    with respx.mock() as mock:
        tokens(mock, "t")
        mock.post(SEND).mock(side_effect=httpx.ConnectError("refused"))
        client = api()
        with pytest.raises(FeishuApiError) as raised:
            await client.send(receive_id_type="chat_id", receive_id="oc", msg_type="text", content="{}")
        assert raised.value.retryable
        await client.aclose()
