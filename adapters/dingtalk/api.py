"""The DingTalk OpenAPI calls the bot makes, over httpx (respx-testable, like `FeishuApi`).

The access token (`POST /v1.0/oauth2/accessToken`) is cached and refreshed 5 minutes before it
expires — one fetch for all concurrent callers — and once more when DingTalk says it is invalid.
Errors are `DingTalkApiError` (a `DeliveryError`), classified by the code in the body (DingTalk's
HTTP status is not reliable for this):
- QPS limits (`…QpsLimitForAppkeyAndApi` / 90018, global `…QpsLimitForApi` / 90002, per minute
  `…QpmLimit…`): retryable after ~1 s (the window is one second; no Retry-After is sent);
- the standard edition's monthly quota (`ApiCountLimitForOrg` / 90020): retryable much later,
  counted in `quota` so `/metrics` shows it;
- 5xx, timeouts, connection errors, the per-IP ban's HTML page: retryable;
- everything else (bad robot code, unknown user, invalid template…): final.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

import httpx

from adapters.base import DeliveryError
from adapters.dingtalk.quota import Quota
from adapters.dingtalk.settings import DingTalkSettings

TOKEN_MARGIN = 300.0  # seconds before expiry at which a new token is fetched
QPS_CODES = {"Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "Forbidden.AccessDenied.QpsLimitForApi",
             "Forbidden.AccessDenied.QpmLimitForAppkeyAndApi", "QpsLimitForAppkeyAndApi",
             "QpsLimitForApi", "90018", "90002"}
QUOTA_CODES = {"Forbidden.AccessDenied.ApiCountLimitForOrg", "ApiCountLimitForOrg", "90020"}
TOKEN_CODES = {"InvalidAuthentication", "Forbidden.AccessDenied.AccessTokenPermissionDenied", "40014",
               "42001", "88"}
QPS_WAIT = 1.0
QUOTA_WAIT = 3600.0  # the month's quota is spent: try again in an hour (visible in /metrics)
OTO_BATCH = 20  # oToMessages/batchSend: at most 20 user ids per call


class DingTalkApiError(DeliveryError):
    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None,
                 code: str = "", status: int | None = None) -> None:
        super().__init__(message, retryable=retryable, retry_after=retry_after)
        self.code, self.status = code, status


def _code(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    for key in ("code", "errcode"):
        value = body.get(key)
        if value not in (None, "", 0, "0"):
            return str(value)
    return ""


def classify(status: int, body: Any, *, where: str) -> DingTalkApiError | None:
    """None for a success; else the error, retryable or not (pure: unit-tested)."""
    code = _code(body)
    text = body.get("message") or body.get("errmsg") or "" if isinstance(body, dict) else ""
    message = f"{where}: HTTP {status} {code} {text}".strip()
    if code in QPS_CODES or status == 429:
        return DingTalkApiError(message, retryable=True, retry_after=QPS_WAIT, code=code, status=status)
    if code in QUOTA_CODES:
        return DingTalkApiError(message, retryable=True, retry_after=QUOTA_WAIT, code=code, status=status)
    if status >= 500 or (status < 300 and not isinstance(body, dict)) or (
            status == 403 and not isinstance(body, dict)):  # the per-IP ban answers HTML
        return DingTalkApiError(message, retryable=True, code=code, status=status)
    if code in TOKEN_CODES or status == 401:
        return DingTalkApiError(message, retryable=True, code=code or "InvalidAuthentication",
                                status=status)
    if status >= 300 or code:
        return DingTalkApiError(message, retryable=False, code=code, status=status)
    return None


class DingTalkApi:
    def __init__(self, *, settings: DingTalkSettings, client: httpx.AsyncClient | None = None,
                 quota: Quota | None = None, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._client = client or httpx.AsyncClient(
            base_url=settings.base_url, timeout=httpx.Timeout(settings.request_timeout_seconds),
            headers={"Content-Type": "application/json", "Accept": "application/json"})
        self.quota = quota or Quota(limit=settings.monthly_quota, warn_at=tuple(settings.quota_warn_at))
        self._monotonic = monotonic
        self._token = ""
        self._expires = 0.0
        self._lock: asyncio.Lock | None = None

    async def aclose(self) -> None:
        await self._client.aclose()

    # --- token --------------------------------------------------------------------------------

    async def token(self, *, force: bool = False) -> str:
        if not force and self._token and self._monotonic() < self._expires:
            return self._token
        self._lock = self._lock or asyncio.Lock()
        stale = self._token
        async with self._lock:  # one fetch for everyone waiting
            if self._token and self._monotonic() < self._expires and (not force or self._token != stale):
                return self._token
            body = await self._request("POST", "/v1.0/oauth2/accessToken", json={
                "appKey": self._settings.client_id, "appSecret": self._settings.client_secret})
            token = body.get("accessToken")
            if not isinstance(token, str) or not token:
                raise DingTalkApiError("token answer without accessToken", retryable=True)
            expire = float(body.get("expireIn") or 7200)
            self._token = token
            self._expires = self._monotonic() + max(60.0, expire - TOKEN_MARGIN)
            return token

    # --- transport ----------------------------------------------------------------------------

    async def _request(self, method: str, path: str, *, token: str = "", json: Any = None) -> dict[str, Any]:
        headers = {"x-acs-dingtalk-access-token": token} if token else {}
        where = f"{method} {path}"
        try:
            response = await self._client.request(method, path, json=json, headers=headers)
        except httpx.TimeoutException as exc:
            raise DingTalkApiError(f"{where}: timeout", retryable=True) from exc
        except httpx.TransportError as exc:
            raise DingTalkApiError(f"{where}: {exc!r}", retryable=True) from exc
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if body is None and response.status_code < 300 and not response.content:
            body = {}
        error = classify(response.status_code, body, where=where)
        if error is not None:
            if error.code in QUOTA_CODES:
                self.quota.exhausted()
            raise error
        return body

    async def call(self, method: str, path: str, *, json: Any = None) -> dict[str, Any]:
        """An authenticated call (counted against the month's quota); a token DingTalk calls
        invalid is fetched again once."""
        token = await self.token()
        self.quota.count()
        try:
            return await self._request(method, path, token=token, json=json)
        except DingTalkApiError as exc:
            if exc.code not in TOKEN_CODES and exc.status != 401:
                raise
        token = await self.token(force=True)
        self.quota.count()
        return await self._request(method, path, token=token, json=json)

    # --- robot messages -----------------------------------------------------------------------

    async def group_send(self, *, conversation: str, msg_key: str, msg_param: str) -> str:
        body = await self.call("POST", "/v1.0/robot/groupMessages/send", json={
            "robotCode": self._settings.robot_code, "openConversationId": conversation,
            "msgKey": msg_key, "msgParam": msg_param})
        return str(body.get("processQueryKey") or "")

    async def oto_send(self, *, user_ids: list[str], msg_key: str, msg_param: str) -> list[str]:
        """1:1 messages, 20 ids a call; flow-controlled ids are sent again (once), invalid ids
        are returned (the caller decides: a person DingTalk does not know is a final error)."""
        invalid, throttled = await self.oto_send_each(user_ids=user_ids, msg_key=msg_key,
                                                      msg_param=msg_param)
        if throttled:
            raise DingTalkApiError(f"flow-controlled: {throttled}", retryable=True,
                                   retry_after=QPS_WAIT, code="flowControlled")
        return invalid

    async def oto_send_each(self, *, user_ids: list[str], msg_key: str,
                            msg_param: str) -> tuple[list[str], list[str]]:
        """(invalid ids, ids still flow-controlled after one more try a second later): what
        DingTalk did with each person, for the caller to finish each message on its own."""
        invalid: list[str] = []
        pending = list(dict.fromkeys(user_ids))
        for attempt in range(2):
            retry: list[str] = []
            for start in range(0, len(pending), OTO_BATCH):
                body = await self.call("POST", "/v1.0/robot/oToMessages/batchSend", json={
                    "robotCode": self._settings.robot_code, "userIds": pending[start:start + OTO_BATCH],
                    "msgKey": msg_key, "msgParam": msg_param})
                invalid += [str(u) for u in body.get("invalidStaffIdList") or []]
                retry += [str(u) for u in body.get("flowControlledStaffIdList") or []]
            if not retry:
                return invalid, []
            pending = retry
            if attempt == 0:
                await asyncio.sleep(QPS_WAIT)
        return invalid, pending

    async def ding(self, *, user_ids: list[str], content: str, remind_type: int = 1) -> dict[str, Any]:
        """DING (R14 urgent ping): 1 = in the app, 2 = SMS, 3 = phone call."""
        return await self.call("POST", "/v1.0/robot/ding/send", json={
            "robotCode": self._settings.robot_code, "receiverUserIdList": user_ids,
            "content": content, "remindType": remind_type})

    # --- interactive cards --------------------------------------------------------------------

    async def create_and_deliver(self, *, out_track_id: str, space: str, params: dict[str, str],
                                 private: dict[str, dict[str, str]] | None = None) -> None:
        """A card from the generic template into a group (`IM_GROUP.<cid>`) or a 1:1 chat with
        the robot (`IM_ROBOT.<userId>`); clicks come back on the Stream (`callbackType`)."""
        group = space.startswith("IM_GROUP.")
        body: dict[str, Any] = {
            "cardTemplateId": self._settings.card_template_id, "outTrackId": out_track_id,
            "callbackType": "STREAM", "cardData": {"cardParamMap": params},
            "openSpaceId": f"dtv1.card//{space}", "userIdType": 1}
        if private:
            body["privateData"] = {user: {"cardParamMap": values} for user, values in private.items()}
        if group:
            body["imGroupOpenSpaceModel"] = {"supportForward": True}
            body["imGroupOpenDeliverModel"] = {"robotCode": self._settings.robot_code, "extension": {}}
        else:
            body["imRobotOpenSpaceModel"] = {"supportForward": True}
            body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT", "robotCode": self._settings.robot_code}
        answer = await self.call("POST", "/v1.0/card/instances/createAndDeliver", json=body)
        results = (answer.get("result") or {}).get("deliverResults") or []
        failed = [r for r in results if isinstance(r, dict) and not r.get("success")]
        if failed or answer.get("success") is False:
            reason = "; ".join(str(r.get("errorMsg") or r) for r in failed) or "success=false"
            raise DingTalkApiError(f"card {out_track_id} not delivered: {reason}", retryable=False,
                                   code="deliverFailed")

    async def update_card(self, *, out_track_id: str, params: dict[str, str]) -> None:
        await self.call("PUT", "/v1.0/card/instances", json={
            "outTrackId": out_track_id, "cardData": {"cardParamMap": params},
            "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
            "userIdType": 1})
