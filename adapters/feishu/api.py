"""The Feishu Open API calls the bot makes, over httpx (never lark-oapi's blocking `requests`).

The tenant access token is fetched and cached here, refreshed 10 minutes before it expires and
once more on an "invalid token" answer. Errors become `FeishuApiError` (a `DeliveryError`):
HTTP 429 / code 99991400 are rate limits (retryable, with the reset hint Feishu sends), 5xx and
transport failures are retryable, every other non-zero code is final.
"""
from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any, Callable

import httpx

from adapters.base import DeliveryError
from adapters.feishu.settings import FeishuSettings

RATE_LIMITED = 99991400
TOKEN_INVALID = {99991661, 99991663, 99991664}  # missing / invalid / expired tenant token
TOKEN_REFRESH_MARGIN = 600.0  # seconds before `expire` at which we fetch a new token
UUID_MAX = 50  # Feishu's limit on the `uuid` idempotency key


class FeishuApiError(DeliveryError):
    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None,
                 code: int | None = None, status: int | None = None) -> None:
        super().__init__(message, retryable=retryable, retry_after=retry_after)
        self.code = code
        self.status = status


def idempotency_uuid(key: str) -> str:
    """Feishu de-duplicates sends with the same `uuid` for an hour; keys longer than it allows
    are hashed, stably."""
    return key if len(key) <= UUID_MAX else hashlib.sha1(key.encode("utf-8")).hexdigest()


def _retry_after(response: httpx.Response) -> float | None:
    for header in ("Retry-After", "x-ogw-ratelimit-reset"):
        value = response.headers.get(header)
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                continue
    return None


class FeishuApi:
    def __init__(self, *, settings: FeishuSettings, client: httpx.AsyncClient | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._client = client or httpx.AsyncClient(
            base_url=settings.base_url, timeout=httpx.Timeout(settings.request_timeout_seconds),
            headers={"Content-Type": "application/json; charset=utf-8"})
        self._monotonic = monotonic
        self._token = ""
        self._token_expires_at = 0.0
        self._token_lock: asyncio.Lock | None = None

    async def aclose(self) -> None:
        await self._client.aclose()

    # --- token ----------------------------------------------------------------------------

    async def tenant_token(self, *, force: bool = False) -> str:
        if not force and self._token and self._monotonic() < self._token_expires_at:
            return self._token
        self._token_lock = self._token_lock or asyncio.Lock()
        async with self._token_lock:  # one fetch for all concurrent callers
            if not force and self._token and self._monotonic() < self._token_expires_at:
                return self._token
            body = await self._request("POST", "/open-apis/auth/v3/tenant_access_token/internal",
                                       json={"app_id": self._settings.app_id,
                                             "app_secret": self._settings.app_secret})
            token = body.get("tenant_access_token")
            if not isinstance(token, str) or not token:
                raise FeishuApiError("token response without tenant_access_token", retryable=True)
            expire = float(body.get("expire") or 7200)
            self._token = token
            self._token_expires_at = self._monotonic() + max(60.0, expire - TOKEN_REFRESH_MARGIN)
            return token

    # --- transport --------------------------------------------------------------------------

    async def _request(self, method: str, path: str, *, token: str = "",
                       params: dict[str, str] | None = None, json: Any = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self._client.request(method, path, params=params, json=json,
                                                  headers=headers)
        except httpx.TimeoutException as exc:
            raise FeishuApiError(f"{method} {path}: timeout", retryable=True) from exc
        except httpx.TransportError as exc:
            raise FeishuApiError(f"{method} {path}: {exc!r}", retryable=True) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        code = body.get("code") if isinstance(body, dict) else None
        message = f"{method} {path}: HTTP {response.status_code} code {code} " \
                  f"{(body or {}).get('msg', '') if isinstance(body, dict) else response.text[:200]}"
        if response.status_code == 429 or code == RATE_LIMITED:
            raise FeishuApiError(message, retryable=True, retry_after=_retry_after(response),
                                 code=code, status=response.status_code)
        if response.status_code >= 500:
            raise FeishuApiError(message, retryable=True, code=code, status=response.status_code)
        if not isinstance(body, dict) or not isinstance(code, int):
            raise FeishuApiError(message, retryable=False, status=response.status_code)
        if code != 0:
            raise FeishuApiError(message, retryable=code in TOKEN_INVALID, code=code,
                                 status=response.status_code)
        return body

    async def call(self, method: str, path: str, *, params: dict[str, str] | None = None,
                   json: Any = None) -> dict[str, Any]:
        """An authenticated call; an "invalid token" answer refreshes the token and retries once."""
        token = await self.tenant_token()
        try:
            return await self._request(method, path, token=token, params=params, json=json)
        except FeishuApiError as exc:
            if exc.code not in TOKEN_INVALID:
                raise
        token = await self.tenant_token(force=True)
        return await self._request(method, path, token=token, params=params, json=json)

    # --- messages -----------------------------------------------------------------------------

    async def send(self, *, receive_id_type: str, receive_id: str, msg_type: str, content: str,
                   uuid: str = "") -> str:
        body: dict[str, Any] = {"receive_id": receive_id, "msg_type": msg_type, "content": content}
        if uuid:
            body["uuid"] = idempotency_uuid(uuid)
        data = await self.call("POST", "/open-apis/im/v1/messages",
                               params={"receive_id_type": receive_id_type}, json=body)
        return str((data.get("data") or {}).get("message_id") or "")

    async def reply(self, *, message_id: str, msg_type: str, content: str, uuid: str = "") -> str:
        body: dict[str, Any] = {"msg_type": msg_type, "content": content}
        if uuid:
            body["uuid"] = idempotency_uuid(uuid)
        data = await self.call("POST", f"/open-apis/im/v1/messages/{message_id}/reply", json=body)
        return str((data.get("data") or {}).get("message_id") or "")

    async def patch(self, *, message_id: str, content: str) -> None:
        await self.call("PATCH", f"/open-apis/im/v1/messages/{message_id}", json={"content": content})

    async def urgent(self, *, message_id: str, kind: str, open_ids: list[str]) -> list[str]:
        """Buzz (加急) a message the bot sent: kind app / sms / phone. Returns invalid ids."""
        data = await self.call("PATCH", f"/open-apis/im/v1/messages/{message_id}/urgent_{kind}",
                               params={"user_id_type": "open_id"}, json={"user_id_list": open_ids})
        return list((data.get("data") or {}).get("invalid_user_id_list") or [])

    async def bot_open_id(self) -> str:
        """The bot's own open_id, to recognise "@bot" among a message's mentions."""
        data = await self.call("GET", "/open-apis/bot/v3/info")
        return str((data.get("bot") or {}).get("open_id") or "")

    async def get_pages(self, path: str, *, params: dict[str, str]) -> list[dict[str, Any]]:
        """All `data.items` of a paginated list endpoint (contact directory sync)."""
        items: list[dict[str, Any]] = []
        page_token = ""
        while True:
            query = {**params, "page_size": "50", **({"page_token": page_token} if page_token else {})}
            data = (await self.call("GET", path, params=query)).get("data") or {}
            items += [item for item in data.get("items") or [] if isinstance(item, dict)]
            page_token = str(data.get("page_token") or "")
            if not data.get("has_more") or not page_token:
                return items
