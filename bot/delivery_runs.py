"""Sending a claimed unit: one run — a chat's rows, in order — or several runs whose heads the
adapter sends in one call (`bot/batching.py`) and whose later rows then follow on their own.

A run stops at the first row that did not go; the rows after it are put back untouched, behind
it. What a run has sent is put on record (`DeliveryWorker.settle`) before it waits for the chat's
rate limit, or once it has gone on for `DELIVERY_RUN_FLUSH_SECONDS`, and the rest when it ends:
a crash re-sends at most that much (at-least-once)."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot import delivery_outcomes as ending
from bot.batching import send_batch
from bot.delivery_outcomes import Ended
from bot.outbound import outbound_for
from bot.outbox_claim import Claimed

if TYPE_CHECKING:
    from bot.delivery import DeliveryWorker


@dataclass
class Progress:
    """A unit's sends so far: how each row ended, and which of those are on record."""

    ended: list[Ended] = field(default_factory=list)
    finished: set[int] = field(default_factory=set)

    def unfinished(self) -> list[Ended]:
        return [e for e in self.ended if e.claimed.row.id not in self.finished]


async def send_runs(worker: "DeliveryWorker", unit: list[list[Claimed]], progress: Progress) -> None:
    if len(unit) == 1:
        return await run(worker, unit[0], progress)
    await send_batch(worker, [r[0] for r in unit], progress)
    went = {e.claimed.row.id: e for e in progress.ended if e.outcome.state == "sent"}
    for r in unit:  # each run's later rows after its head, on their own
        if r[0].row.id in went:
            carry_ref(r[1:], went[r[0].row.id])
            await run(worker, r, progress, start=1)
        else:
            progress.ended += [ending.released(c) for c in r[1:]]
    await worker.settle(progress)


async def run(worker: "DeliveryWorker", rows: list[Claimed], progress: Progress, *,
              start: int = 0) -> None:
    """Send a chat's rows in order from `start`, stopping at the first that did not go."""
    since = time.monotonic()
    for i in range(start, len(rows)):
        if progress.unfinished() and (
                time.monotonic() - since >= worker.settings.delivery_run_flush_seconds
                or must_wait(worker, rows[i])):
            await worker.settle(progress)
            since = time.monotonic()
        ended = await attempt(worker, rows[i])
        progress.ended.append(ended)
        if ended.outcome.state != "sent":
            progress.ended += [ending.released(c) for c in rows[i + 1:]]
            break
        carry_ref(rows[i + 1:], ended)
    await worker.settle(progress)


def carry_ref(later: list[Claimed], ended: Ended) -> None:
    """Updates of the card a run just posted edit that message (not on record yet)."""
    message_id, key = ended.outcome.platform_message_id, ended.claimed.row.card_key
    for c in later:
        if message_id and key and c.row.card_key == key and c.row.kind == "update":
            c.ref_message_id = message_id


def must_wait(worker: "DeliveryWorker", claimed: Claimed) -> bool:
    """The chat's rate limit would hold the next send back."""
    adapter = worker.adapters.get(claimed.row.platform)
    if adapter is None:
        return False
    window = worker.limiter.chat(claimed.row.platform, claimed.row.conversation,
                                 adapter.rate_per_chat)
    return window.wait_time() > 0


async def attempt(worker: "DeliveryWorker", claimed: Claimed) -> Ended:
    row = claimed.row
    adapter = worker.adapters.get(row.platform)
    if adapter is None:
        return ending.permanent(worker, claimed, f"no adapter for platform {row.platform!r}")
    outbound = outbound_for(claimed)
    await worker.limiter.acquire(row.platform, row.conversation, rate=adapter.rate_per_second,
                                 rate_per_chat=adapter.rate_per_chat)
    try:
        # asyncio.timeout, not wait_for: no extra task, so the send leaves right after its
        # rate-limit slot was taken (a hop through the loop could bunch sends up)
        async with asyncio.timeout(worker.settings.delivery_timeout_seconds):
            result = await adapter.deliver(outbound)
    except Exception as exc:  # connection errors, adapter bugs too: retried, never dropped
        return ending.failed(worker, claimed, exc)
    return ending.sent(worker, claimed, outbound, result)
