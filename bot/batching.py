"""Several outbox rows in one platform call (DingTalk's `oToMessages/batchSend` takes 20 user
ids): the same message to many people — an announcement, a reminder — costs one call of the
platform's rate and monthly quota instead of one per person.

The claim is unchanged: every row is still its own conversation's head, so order per chat holds.
An adapter that can batch says so with `batch_key(outbound)` (rows with equal keys may go
together; None: never batched) and `batch_limit`, and sends a batch with
`deliver_batch(outbounds)`, which answers per row — a `DeliveryResult` or a `DeliveryError` (a
user the platform does not know, one it throttled) — so each row is finished as if sent alone.
A failed call fails every row of the batch the way it would fail one.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Mapping

from bot.outbound import outbound_for
from bot.outbox_store import Claimed
from bot.ratelimit import ready

if TYPE_CHECKING:
    from bot.delivery import DeliveryWorker


def batches(claimed: list[Claimed], adapters: Mapping[str, Any]) -> list[list[Claimed]]:
    """The claimed rows in send groups: alone, or with rows of the same workspace whose message
    the adapter says is the same (at most its `batch_limit` a group)."""
    groups: dict[tuple[str, str, str], list[Claimed]] = {}
    out: list[list[Claimed]] = []
    for c in claimed:
        key_of = getattr(adapters.get(c.row.platform), "batch_key", None)
        key = key_of(outbound_for(c)) if key_of is not None else None
        if key is None:
            out.append([c])
        else:
            groups.setdefault((c.row.platform, c.row.workspace_id, key), []).append(c)
    for (platform, _ws, _key), members in groups.items():
        limit = max(1, int(getattr(adapters[platform], "batch_limit", 1)))
        out += [members[i:i + limit] for i in range(0, len(members), limit)]
    return out


async def send_batch(worker: "DeliveryWorker", group: list[Claimed]) -> None:
    """One call for the group: one slot of the platform's rate, one of each person's chat."""
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
        for i, c in enumerate(group):
            await worker.failed(c, exc, counts=i == 0)
        return
    for c, outbound, result in zip(group, outbounds, results, strict=True):
        if isinstance(result, Exception):
            await worker.failed(c, result, counts=False)
        else:
            await worker.finish(c, outbound, result)
