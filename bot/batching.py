"""Several outbox rows in one platform call (DingTalk's `oToMessages/batchSend` takes 20 user
ids): the same message to many people — an announcement, a reminder — costs one call of the
platform's rate and monthly quota instead of one per person.

Only the heads of runs are batched (`bot/outbox_claim.py`): every row of a batch is its own
conversation's head, so order per chat holds; a run's later rows follow its head on their own.
An adapter that can batch says so with `batch_key(outbound)` (rows with equal keys may go
together; None: never batched) and `batch_limit`, and sends a batch with
`deliver_batch(outbounds)`, which answers per row — a `DeliveryResult` or a `DeliveryError` (a
user the platform does not know, one it throttled) — so each row ends as if sent alone.
A failed call fails every row of the batch the way it would fail one.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Mapping

from bot import delivery_outcomes as ending
from bot.outbound import outbound_for
from bot.outbox_claim import Claimed
from bot.ratelimit import ready

if TYPE_CHECKING:
    from bot.delivery import DeliveryWorker, Progress


def batches(runs: list[list[Claimed]], adapters: Mapping[str, Any]) -> list[list[list[Claimed]]]:
    """The claimed runs in send units: a run alone, or with runs of the same workspace whose
    heads' message the adapter says is the same (at most its `batch_limit` a unit)."""
    groups: dict[tuple[str, str, str], list[list[Claimed]]] = {}
    out: list[list[list[Claimed]]] = []
    for run in runs:
        c = run[0]
        key_of = getattr(adapters.get(c.row.platform), "batch_key", None)
        key = key_of(outbound_for(c)) if key_of is not None else None
        if key is None:
            out.append([run])
        else:
            groups.setdefault((c.row.platform, c.row.workspace_id, key), []).append(run)
    for (platform, _ws, _key), members in groups.items():
        limit = max(1, int(getattr(adapters[platform], "batch_limit", 1)))
        out += [members[i:i + limit] for i in range(0, len(members), limit)]
    return out


async def send_batch(worker: "DeliveryWorker", group: list[Claimed], progress: "Progress") -> None:
    """One call for the group of heads: one slot of the platform's rate, one of each person's
    chat; their endings are left in `progress` for the caller to put on record."""
    platform = group[0].row.platform
    adapter = worker.adapters[platform]
    outbounds = [outbound_for(c) for c in group]
    await worker.limiter.acquire(platform, group[0].row.conversation, rate=adapter.rate_per_second,
                                 rate_per_chat=adapter.rate_per_chat)
    for c in group[1:]:
        window = worker.limiter.chat(platform, c.row.conversation, adapter.rate_per_chat)
        await ready(window)
        window.take()
    try:
        async with asyncio.timeout(worker.settings.delivery_timeout_seconds):
            results = await adapter.deliver_batch(outbounds)
    except Exception as exc:  # the call failed: every row as if it had been sent alone
        progress.ended += [ending.failed(worker, c, exc, counts=i == 0) for i, c in enumerate(group)]
    else:
        progress.ended += [ending.failed(worker, c, result, counts=False)
                           if isinstance(result, Exception) else ending.sent(worker, c, outbound, result)
                           for c, outbound, result in zip(group, outbounds, results, strict=True)]
