"""Signed, expiring personal board links (R22, R25): `<base>/board?t=<token>`, the token bound to
one person and one workspace. HMAC-SHA256 over a compact JSON payload; nothing is stored, so a
link cannot be revoked before it expires — hence the short default lifetime (24 h)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


class BadLink(ValueError):
    """`reason` is "missing", "tampered" or "expired" (the page says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Grant:
    workspace_id: str
    person_key: str
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def sign(*, secret: str, workspace_id: str, person_key: str, now: datetime, ttl: timedelta) -> str:
    if not secret:
        raise ValueError("BOARD_SECRET is not set")
    expires = int((now + ttl).timestamp())
    body = _b64(json.dumps({"w": workspace_id, "p": person_key, "e": expires},
                           separators=(",", ":"), ensure_ascii=False).encode())
    return f"{body}.{_mac(secret, body)}"


def verify(token: str | None, *, secret: str, now: datetime) -> Grant:
    """The grant a token carries, or BadLink: a wrong signature is "tampered" even when the
    payload also says it expired (it says nothing trustworthy)."""
    if not token:
        raise BadLink("missing")
    body, _, mac = token.partition(".")
    if not secret or not mac or not hmac.compare_digest(mac, _mac(secret, body)):
        raise BadLink("tampered")
    try:
        data = json.loads(_unb64(body))
        grant = Grant(workspace_id=str(data["w"]), person_key=str(data["p"]),
                      expires=datetime.fromtimestamp(int(data["e"]), tz=timezone.utc))
    except (ValueError, KeyError, TypeError, OverflowError, OSError):
        raise BadLink("tampered") from None
    if grant.expires <= now:
        raise BadLink("expired")
    return grant
