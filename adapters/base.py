"""The small protocol every platform implements (DESIGN "adapters/").

Inbound: each adapter owns its routes/socket client, verifies, translates to a core event and
hands it to `Core.handle` (given to it at construction), then acks with the `Reply` rendered.
Outbound: the delivery worker calls `deliver()` with one outbox row's content.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from starlette.routing import BaseRoute


@dataclass
class Outbound:
    """One outbox row as the adapter sees it."""

    id: int
    workspace: str  # the platform's workspace/tenant id
    conversation: str  # chat id; for kind dm/urgent the person's platform user id
    kind: str  # post / update / dm / urgent
    payload: dict[str, Any]  # {"card": Card dict, "text": fallback, "escalation": "head" | "vp" for urgent pings…}
    platform_message_id: str = ""  # for kind=update: the message to update
    idempotency_key: str = ""  # stable per row (Feishu `uuid`)


@dataclass
class DeliveryResult:
    platform_message_id: str = ""


class DeliveryError(Exception):
    """A send that failed. `retryable` with optional `retry_after` seconds (429 Retry-After)."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class PlatformAdapter(Protocol):
    platform: str
    rate_per_second: float  # the platform's documented send rate (token bucket, per app)
    rate_per_chat: float  # … and per conversation

    def routes(self) -> list[BaseRoute]: ...

    async def start(self) -> None:
        """Open socket/long connections if configured (no-op for pure webhooks)."""

    async def stop(self) -> None: ...

    async def deliver(self, message: Outbound) -> DeliveryResult: ...
