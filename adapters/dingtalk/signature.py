"""The HTTP outgoing robot's signature (pure): `sign` = base64(HMAC-SHA256(key=appSecret,
msg=timestamp + "\\n" + appSecret)), `timestamp` in ms, at most an hour from now either way.
The body is not covered, so the check needs only the headers — done before the body is parsed."""
from __future__ import annotations

import base64
import hashlib
import hmac

MAX_SKEW_MS = 3600 * 1000


def sign(timestamp: str, secret: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode("utf-8"),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def valid(*, timestamp: str | None, given: str | None, secret: str, now_ms: int) -> bool:
    if not timestamp or not given or not secret or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if len(timestamp) > 15 or abs(now_ms - int(timestamp)) > MAX_SKEW_MS:
        return False
    return hmac.compare_digest(sign(timestamp, secret), given.strip())
