"""Authenticating Feishu's HTTP callbacks — stricter than lark-oapi 1.7.5's dispatcher.

lark-oapi answers a bad signature with 500 and never looks at the timestamp; here a bad or
missing signature, a timestamp outside the replay window (5 minutes either way) or a wrong
verification token is 401, and an unreadable body is 400. `open_request` is pure: body, headers,
settings and the current time in, the decrypted payload (or a `Rejected`) out.
"""
from __future__ import annotations

from typing import Any, Mapping

from adapters.feishu import crypto
from adapters.http import BodyError, loads_object
from adapters.feishu.inbound import header_token
from adapters.feishu.settings import FeishuSettings

MAX_BODY_BYTES = 1024 * 1024
TIMESTAMP = "x-lark-request-timestamp"
NONCE = "x-lark-request-nonce"
SIGNATURE = "x-lark-signature"


class Rejected(Exception):
    def __init__(self, status: int, key: str, **params: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key  # i18n key of the answer
        self.params = params


def _json(text: str | bytes) -> dict[str, Any]:
    """Parsed with a nesting limit: 3,000 nested arrays are a 400, not a RecursionError."""
    try:
        return loads_object(text)
    except BodyError as exc:
        raise Rejected(400, "feishu.webhook.malformed", reason=str(exc)) from None


def _check_signature(body: bytes, headers: Mapping[str, str], settings: FeishuSettings,
                     now: float) -> None:
    timestamp, nonce, given = headers.get(TIMESTAMP), headers.get(NONCE), headers.get(SIGNATURE)
    if not (timestamp and nonce is not None and given):
        raise Rejected(401, "feishu.webhook.bad_signature")
    if not crypto.signature_matches(timestamp, nonce, settings.encrypt_key, body, given):
        raise Rejected(401, "feishu.webhook.bad_signature")
    _check_fresh(timestamp, settings, now)


def _check_fresh(timestamp: str, settings: FeishuSettings, now: float) -> None:
    try:
        age = now - int(timestamp)
    except ValueError:
        raise Rejected(401, "feishu.webhook.bad_signature") from None
    if abs(age) > settings.replay_window_seconds:
        raise Rejected(401, "feishu.webhook.bad_signature")


def open_request(*, body: bytes, headers: Mapping[str, str], settings: FeishuSettings,
                 now: float) -> dict[str, Any]:
    """Verify and decrypt one callback; `headers` must be case-insensitive (Starlette's are)."""
    if not settings.webhook_secured:
        raise Rejected(401, "feishu.webhook.not_secured")
    if len(body) > MAX_BODY_BYTES:
        raise Rejected(413, "feishu.webhook.too_large")
    signed = bool(headers.get(SIGNATURE))
    if settings.encrypt_key and signed:
        _check_signature(body, headers, settings, now)  # on the raw bytes, before parsing
    payload = _json(body)
    if "encrypt" in payload:
        if not settings.encrypt_key or not isinstance(payload["encrypt"], str):
            raise Rejected(400, "feishu.webhook.malformed", reason="unexpected encrypted body")
        try:
            payload = _json(crypto.decrypt(settings.encrypt_key, payload["encrypt"]))
        except crypto.DecryptError:
            raise Rejected(401, "feishu.webhook.bad_signature") from None
    challenge = payload.get("type") == "url_verification"
    if settings.encrypt_key and not signed and not challenge:
        raise Rejected(401, "feishu.webhook.bad_signature")  # Feishu signs all but the challenge
    elif headers.get(TIMESTAMP):
        _check_fresh(headers[TIMESTAMP], settings, now)
    if settings.verification_token and not crypto.token_matches(
            settings.verification_token, header_token(payload)):
        raise Rejected(401, "feishu.webhook.bad_token")
    return payload
