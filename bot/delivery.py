"""The outbox worker (DESIGN rule 5 "Outbound is a queue").

Rows are claimed in order per conversation (`bot/outbox_store.py`), sent through the platform
adapter under a token bucket per platform and per chat (`bot/ratelimit.py`), and finished:
- success → `sent`, the platform message id kept, `message_ref` upserted for cards, so a later
  `update` finds its message (an update whose card was never posted is posted instead);
- `DeliveryError(retryable=True, retry_after=…)` (429 Retry-After) → retried after exactly that;
- 5xx, timeouts, connection errors and any other exception → retried with exponential back-off
  and jitter, up to `DELIVERY_MAX_ATTEMPTS` attempts in all;
- non-retryable errors, or attempts exhausted → `failed` with the error: logged, counted in
  /metrics, kept in the table — never silently dropped.

Which rows are *due* is judged by the workflow clock; waiting (back-off, rate limits) is real
monotonic time. A retry is due when either says so: the stored `next_attempt_at` (clock time,
shared with other replicas and restarts) or this worker's own real-time back-off — so a demo
whose virtual clock stands still still retries.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import timedelta
from typing import Mapping

from adapters.base import DeliveryError, Outbound, PlatformAdapter
from bot import outbox_store
from bot.metrics import Metrics
from bot.outbox_store import Claimed
from bot.ratelimit import RateLimiter
from bot.time_settings import TimeSettings
from storage.db import Database
from workflows.clock import Clock

log = logging.getLogger("collab.delivery")


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential back-off with equal jitter: attempt 1 waits base/2…base, then doubling,
    never above `cap` — replicas retrying the same outage spread out instead of stampeding."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return rng.uniform(ceiling / 2, ceiling)


def outbound_for(claimed: Claimed) -> Outbound:
    """The adapter's view of a row; an update with no known message becomes a post."""
    row = claimed.row
    kind = row.kind
    if kind == "update" and not claimed.ref_message_id:
        kind = "post"
    stamp = int(row.created_at.timestamp()) if row.created_at else 0
    return Outbound(id=row.id or 0, workspace=claimed.workspace_external_id,
                    conversation=row.conversation, kind=kind, payload=dict(row.payload),
                    platform_message_id=claimed.ref_message_id if kind == "update" else "",
                    idempotency_key=f"collab-{row.id}-{stamp}")


class DeliveryWorker:
    def __init__(self, *, db: Database, clock: Clock, adapters: Mapping[str, PlatformAdapter],
                 settings: TimeSettings | None = None, metrics: Metrics | None = None,
                 rng: random.Random | None = None) -> None:
        self.db = db
        self.clock = clock
        self.adapters = adapters
        self.settings = settings or TimeSettings()
        self.metrics = metrics or Metrics()
        self.limiter = RateLimiter()
        self._rng = rng or random.Random()
        self._retry_at: dict[int, float] = {}  # row id → monotonic time its back-off ends
        self._inflight: dict[int, asyncio.Task] = {}
        self._finished = 0  # sends completed, ever (drain's "did anything change?")
        self._kicked = False
        self._workspaces: dict[str, str] = {}
        self._wake = asyncio.Event()
        self._claim_lock = asyncio.Lock()
        self._task: asyncio.Task | None = None

    # --- driving ------------------------------------------------------------------------

    def kick(self) -> None:
        """New rows or a moved clock: look at the queue now, not at the next poll."""
        self._kicked = True
        self._wake.set()

    async def run_once(self) -> int:
        """Claim one batch of due conversation heads, send them all; the rows handled."""
        tasks = await self._claim_and_spawn(self.settings.delivery_batch_size)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        return len(tasks)

    async def drain(self, *, max_rounds: int = 10_000) -> int:
        """Until nothing is due or in flight — the running worker's sends included (tests,
        bench, the local platform settling after a moved clock); the rows handled here."""
        total = 0
        for _ in range(max_rounds):
            while self._inflight:
                await asyncio.gather(*list(self._inflight.values()), return_exceptions=True)
            finished = self._finished
            handled = await self.run_once()
            total += handled
            # A send that finished while our claim ran may have freed its chat's next row
            # after the claim looked: only a claim with nothing finishing meanwhile is final.
            if (not handled and not self._inflight and not self._claim_lock.locked()
                    and self._finished == finished):
                break
        return total

    async def run_forever(self) -> None:
        """Keep up to `DELIVERY_BATCH_SIZE` rows in flight; claim more as sends finish."""
        while True:
            self._wake.clear()
            room = self.settings.delivery_batch_size - len(self._inflight)
            spawned = 0
            # claim in batches, not once per finished send: a claim is a write transaction
            if room >= max(1, self.settings.delivery_batch_size // 4) or not self._inflight:
                try:
                    spawned = len(await self._claim_and_spawn(room))
                except Exception:
                    log.exception("outbox claim failed")
            if spawned and spawned == room:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.delivery_poll_seconds)
            except asyncio.TimeoutError:
                continue
            if self._kicked:
                # New rows: under load every click kicks, and a claim is a write transaction
                # queueing with the clicks' own — gather the burst. (A finished send claims its
                # chat's next row at once.)
                self._kicked = False
                await asyncio.sleep(self.settings.delivery_coalesce_seconds)

    async def _claim_and_spawn(self, limit: int) -> list[asyncio.Task]:
        """Claim and register the sends atomically, so `drain` never misses work between the
        two (another task's claim is either visible as in flight or holds the lock)."""
        async with self._claim_lock:
            tasks = []
            for c in await self._claim(limit):
                task = asyncio.create_task(self._send(c))
                self._inflight[c.row.id] = task
                task.add_done_callback(lambda _t, rid=c.row.id: self._done(rid))
                tasks.append(task)
            return tasks

    def _done(self, row_id: int) -> None:
        self._inflight.pop(row_id, None)
        self._finished += 1
        self._wake.set()  # the conversation's next row may go now

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run_forever(), name="collab-delivery")

    async def stop(self, *, grace: float | None = None) -> None:
        """Stop claiming; let sends in flight finish (up to `grace` s), release the rest."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        pending = list(self._inflight.values())
        if pending:
            timeout = self.settings.delivery_timeout_seconds if grace is None else grace
            _done, still = await asyncio.wait(pending, timeout=timeout)
            for task in still:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    # --- one row --------------------------------------------------------------------------

    async def _claim(self, limit: int) -> list[Claimed]:
        mono = time.monotonic()
        real_due = {rid for rid, at in self._retry_at.items() if at <= mono}
        claimed = await outbox_store.claim(
            self.db, now=self.clock.now(), limit=limit,
            lease_seconds=self.settings.delivery_lease_seconds, real_due=real_due,
            exclude=set(self._inflight), workspaces=self._workspaces)
        if len(claimed) < limit:  # every real-due row was claimed, or is no longer pending
            for rid in real_due:
                self._retry_at.pop(rid, None)
        for c in claimed:
            self._retry_at.pop(c.row.id, None)
        return claimed

    async def _send(self, claimed: Claimed) -> None:
        row = claimed.row
        try:
            await self._attempt(claimed)
        except asyncio.CancelledError:
            await asyncio.shield(outbox_store.release(self.db, row_id=row.id,
                                                      now=self.clock.now()))
            raise
        except Exception:  # the database itself failed: the lease brings the row back
            log.exception("outbox row could not be finished", extra={"outbox_id": row.id})

    async def _attempt(self, claimed: Claimed) -> None:
        row = claimed.row
        adapter = self.adapters.get(row.platform)
        if adapter is None:
            await self._fail(claimed, f"no adapter for platform {row.platform!r}")
            return
        outbound = outbound_for(claimed)
        await self.limiter.acquire(row.platform, row.conversation,
                                   rate=adapter.rate_per_second,
                                   rate_per_chat=adapter.rate_per_chat)
        try:
            # asyncio.timeout, not wait_for: no extra task, so the send leaves right after its
            # rate-limit slot was taken (a hop through the loop could bunch sends up)
            async with asyncio.timeout(self.settings.delivery_timeout_seconds):
                result = await adapter.deliver(outbound)
        except DeliveryError as exc:
            if not exc.retryable:
                await self._fail(claimed, f"DeliveryError: {exc}")
                return
            reason = "rate_limited" if exc.retry_after is not None else "error"
            await self._retry(claimed, f"DeliveryError: {exc}", reason, exc.retry_after)
            return
        except TimeoutError:
            await self._retry(claimed, "timeout", "timeout", None)
            return
        except Exception as exc:  # 5xx surfaced as exceptions, connection errors, adapter bugs
            await self._retry(claimed, f"{type(exc).__name__}: {exc}", "error", None)
            return
        message_id = result.platform_message_id or outbound.platform_message_id
        await outbox_store.mark_sent(self.db, row_id=row.id, at=self.clock.now(),
                                     platform_message_id=message_id,
                                     workspace_id=row.workspace_id,
                                     conversation=row.conversation, card_key=row.card_key)
        self.metrics.outbox_sent.labels(row.platform).inc()
        log.info("outbox sent", extra={"outbox_id": row.id, "platform": row.platform,
                                       "conversation": row.conversation, "kind": outbound.kind})

    async def _retry(self, claimed: Claimed, error: str, reason: str,
                     retry_after: float | None) -> None:
        row = claimed.row
        attempt = row.attempts + 1
        if attempt >= self.settings.delivery_max_attempts:
            await self._fail(claimed, f"{error} (after {attempt} attempts)")
            return
        if retry_after is not None:
            delay = max(0.0, retry_after)
        else:
            delay = backoff_delay(attempt, base=self.settings.delivery_base_backoff_seconds,
                                  cap=self.settings.delivery_max_backoff_seconds, rng=self._rng)
        await outbox_store.mark_retry(
            self.db, row_id=row.id, error=error,
            next_attempt_at=self.clock.now() + timedelta(seconds=delay))
        self._retry_at[row.id] = time.monotonic() + delay
        self.metrics.outbox_retries.labels(row.platform, reason).inc()
        log.warning("outbox retry", extra={"outbox_id": row.id, "platform": row.platform,
                                           "attempt": attempt, "delay": round(delay, 3),
                                           "error": error})

    async def _fail(self, claimed: Claimed, error: str) -> None:
        row = claimed.row
        await outbox_store.mark_failed(self.db, row_id=row.id, error=error)
        self.metrics.outbox_failed.labels(row.platform).inc()
        log.error("outbox failed", extra={"outbox_id": row.id, "platform": row.platform,
                                          "conversation": row.conversation, "error": error})
