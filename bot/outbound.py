"""Pure helpers of the delivery worker: what an adapter is given for a row, how long a retry
waits, and the notice a chat gets in place of a message the platform refused for good."""
from __future__ import annotations

import random
from typing import Any

from adapters.base import Outbound
from bot.outbox_claim import Claimed
from workflows.cards import Card
from workflows.i18n import translator
from workflows.kernel.outbox import card_payload


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential back-off with equal jitter: attempt 1 waits base/2…base, then doubling,
    never above `cap` — replicas retrying the same outage spread out instead of stampeding."""
    ceiling = min(cap, base * 2 ** min(max(0, attempt - 1), 60))
    return rng.uniform(ceiling / 2, ceiling)


def outbound_for(claimed: Claimed) -> Outbound:
    """The adapter's view of a row; an update with no known message becomes a post."""
    row = claimed.row
    kind = row.kind
    if kind == "update" and not claimed.ref_message_id:
        kind = "post"
    stamp = int(row.created_at.timestamp()) if row.created_at else 0
    payload = {k: v for k, v in row.payload.items() if k != "failed"}
    return Outbound(id=row.id or 0, workspace=claimed.workspace_external_id,
                    conversation=row.conversation, kind=kind, payload=payload,
                    platform_message_id=claimed.ref_message_id if kind == "update" else "",
                    idempotency_key=f"collab-{row.id}-{stamp}", card_key=row.card_key)


def failure_notice(claimed: Claimed, error: str) -> tuple[str, dict[str, Any]]:
    """(kind, payload) of the notice sent in a permanently failed message's place: a group
    message becomes a post in the chat, a direct one a DM; the original is kept for the log."""
    row = claimed.row
    t = translator(claimed.locale)
    card = Card(title=t("delivery.failed_title"), tone="warning",
                text=t("delivery.failed_text", ref=row.id))
    kind = "post" if row.kind in ("post", "update") else "dm"
    extra = {k: v for k, v in row.payload.items() if k == "user"}
    failed = {"kind": row.kind, "card_key": row.card_key, "error": error[:500],
              "payload": dict(row.payload)}
    return kind, card_payload(card, **extra, failed=failed)
