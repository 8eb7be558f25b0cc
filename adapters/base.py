"""The contract between the core and a platform adapter (DESIGN "adapters/").

A platform is a package under `adapters/` with three pure-ish parts — `inbound` (platform payload
→ core event), `render` (neutral `Card` / `InlineAnswer` → platform JSON) and `adapter` (the
transport: routes or socket, `deliver`) — plus a `build(context)` the registry calls
(`adapters/registry.py`).

What an adapter gets: `CoreApi` (the core's one door, `handle`, plus the identity hooks) and the
settings it reads itself. What it owes: `PlatformAdapter` below. Inbound: verify, translate,
`core.handle`, answer with the `InlineAnswer` derived once from the `Reply` (adapters/inline.py).
`workflows.errors.Unavailable` from the core means "infrastructure down, nothing committed": the
adapter answers so the platform delivers again (HTTP 503, no Slack 2xx, no DingTalk ack).
Outbound: the delivery worker calls `deliver()` with one outbox row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict, get_args

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from workflows.cards import Card
    from workflows.events import Event, Reply, Tenant

OutboundKind = Literal["post", "update", "dm", "urgent"]
KINDS: frozenset[str] = frozenset(get_args(OutboundKind))


class OutboundPayload(TypedDict, total=False):
    """What the core puts in an outbox row's payload."""

    card: dict[str, Any]  # a neutral `Card.to_dict()`
    text: str  # fallback text when there is no card
    escalation: str  # urgent only: the R14 step, "head" or "vp"
    user: str  # dm/urgent: the person's platform user id


@dataclass
class Outbound:
    """One outbox row as the adapter sees it."""

    id: int
    workspace: str  # the platform's workspace/tenant id
    conversation: str  # chat id; for kind dm/urgent the person's platform user id
    kind: str  # one of KINDS (checked by `kind_of`)
    payload: dict[str, Any]  # an `OutboundPayload`
    platform_message_id: str = ""  # for kind=update: the message to update
    idempotency_key: str = ""  # stable per row (Feishu `uuid`, DingTalk `outTrackId`)
    card_key: str = ""  # set when later state changes update this card in place

    def card(self) -> "Card | None":
        from workflows.cards import Card

        data = self.payload.get("card")
        return Card.from_dict(data) if isinstance(data, dict) else None

    @property
    def text(self) -> str:
        text = self.payload.get("text")
        return text if isinstance(text, str) else ""

    @property
    def escalation(self) -> str:
        """An urgent ping's R14 step by name: "head" or "vp" ("" otherwise)."""
        step = self.payload.get("escalation")
        return step if isinstance(step, str) else ""


@dataclass
class DeliveryResult:
    platform_message_id: str = ""


class DeliveryError(Exception):
    """A send that failed. `retryable` with optional `retry_after` seconds (429 Retry-After)."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


def kind_of(message: Outbound) -> OutboundKind:
    """The row's kind, or a permanent `DeliveryError` (a row no retry can fix)."""
    if message.kind not in KINDS:
        raise DeliveryError(f"unknown outbox kind {message.kind!r}", retryable=False)
    return message.kind  # type: ignore[return-value]


@dataclass
class Deferred:
    """An inline answer the platform API refused right now (outage, 5xx): handed to the outbox
    (`CoreApi.defer`) so the delivery worker sends it later instead of losing it.
    kind `update` replaces the platform message `target`; `dm` goes to a person's user id;
    `post` into a chat."""

    kind: OutboundKind
    conversation: str
    card: "Card | None" = None
    text: str = ""
    target: str = ""  # kind=update: the platform message id of the card to replace

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"text": self.text or (self.card.title if self.card else "")}
        if self.card is not None:
            payload["card"] = self.card.to_dict()
        return payload


class CoreApi(Protocol):
    """What an adapter may call on the core (or its instrumented facade)."""

    async def handle(self, event: "Event") -> "Reply": ...

    async def defer(self, *, tenant: "Tenant", message: Deferred) -> None:
        """Queue a failed inline answer in the outbox (its own transaction)."""

    async def link_identity(self, *, tenant: "Tenant", external_id: str, email: str) -> bool: ...

    async def unlinked_emails(self, *, tenant: "Tenant") -> list[str]: ...

    async def org_snapshot(self, *, tenant: "Tenant") -> dict[str, Any]: ...


class PlatformAdapter(Protocol):
    platform: str
    rate_per_second: float  # the platform's documented send rate (token bucket, per app)
    rate_per_chat: float  # … and per conversation

    def routes(self) -> list[BaseRoute]: ...

    async def start(self) -> None:
        """Open socket/long connections if configured (no-op for pure webhooks)."""

    async def stop(self) -> None:
        """Close connections, then `drain()`."""

    async def drain(self) -> None:
        """Wait for the inline follow-ups already started (tests, graceful shutdown)."""

    async def deliver(self, message: Outbound) -> DeliveryResult: ...
