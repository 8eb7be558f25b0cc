"""Reading an HTTP body safely, shared by every webhook: a size limit before reading it all, and
JSON parsing with a nesting limit (a 3,000-level array must be a 400, never a RecursionError
turned 500). Verify signatures on the raw bytes first, then call `loads`."""
from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

MAX_BODY = 1024 * 1024  # bytes; every platform's callbacks are far smaller
MAX_DEPTH = 64  # JSON nesting; real payloads stay under 10


class BodyError(ValueError):
    """`status` 413 (too large) or 400 (malformed)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


async def read_body(request: Request, *, limit: int = MAX_BODY) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        if int(declared) > limit:
            raise BodyError(413, "payload too large")
        return await request.body()  # cached: an SDK handler may read it again
    body = bytearray()
    async for chunk in request.stream():  # chunked: stop reading at the limit
        body += chunk
        if len(body) > limit:
            raise BodyError(413, "payload too large")
    request._body = bytes(body)  # Starlette's cache, so `request.body()` works after us
    return request._body


def nesting(text: str | bytes, *, stop_at: int = MAX_DEPTH) -> int:
    """Deepest [ / { nesting outside strings (stops counting once past `stop_at`)."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if raw.count(b"[") + raw.count(b"{") <= stop_at:
        return 0  # cannot be deeper than its brackets: the common case costs two C scans
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_at:
                    return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads` that refuses deep nesting and bad encodings with `BodyError(400)`."""
    if nesting(text, stop_at=max_depth) > max_depth:
        raise BodyError(400, f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BodyError(400, f"malformed JSON: {exc}") from None


def loads_object(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    value = loads(text, max_depth=max_depth)
    if not isinstance(value, dict):
        raise BodyError(400, "body is not a JSON object")
    return value
