"""The outbox worker (DESIGN rule 5 "Outbound is a queue"; docs/delivery.md).

Rows are claimed in order per conversation (`bot/outbox_store.py`), under a lease renewed while
the send runs, sent through the platform adapter under a token bucket per platform and per chat
(`bot/ratelimit.py`), and finished:
- success → `sent`, the platform message id kept, `message_ref` upserted for cards, so a later
  `update` finds its message (an update whose card was never posted is posted instead);
- transient failures — `DeliveryError(retryable=True)` (429 with Retry-After, 5xx), timeouts,
  connection errors, any other exception — keep the row `pending`: retried after Retry-After, or
  after capped exponential back-off with jitter, for as long as it takes. Nothing is given up
  for having failed often; a row ends unsent only when its message expires by policy
  (`expires_at`: `expired`, logged, `collab_outbox_expired_total`);
- a platform failing transiently `DELIVERY_BREAKER_FAILURES` times in a row opens its circuit
  (`bot/breaker.py`): one probe per `DELIVERY_PROBE_SECONDS`, not a storm; the probe's success
  makes the outage's backed-off rows due at once;
- a permanent error (`retryable=False`: chat or user gone, payload refused) → the row turns into
  a short failure notice in the workspace's language, sent in the message's place, so the chat
  does not silently skip ahead; the row ends `failed` either way (logged, counted).

Which rows are *due* is judged by the workflow clock; waiting (back-off, rate limits, leases) is
real time. A retry is due when either says so: the stored `next_attempt_at` (clock time, shared
with other replicas and restarts) or this worker's own real-time back-off — so a demo whose
virtual clock stands still still retries.
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
import uuid
from datetime import timedelta
from typing import Any, Mapping

from adapters.base import DeliveryError, PlatformAdapter
from bot import outbox_store
from bot.batching import batches, send_batch
from bot.breaker import Breaker
from bot.health import DatabaseHealth
from bot.metrics import Metrics
from bot.outbound import backoff_delay, failure_notice, outbound_for
from bot.outbox_store import Claimed
from bot.ratelimit import RateLimiter
from bot.time_settings import TimeSettings
from storage.db import Database, is_unavailable
from workflows.clock import Clock

log = logging.getLogger("collab.delivery")


class DeliveryWorker:
    def __init__(self, *, db: Database, clock: Clock, adapters: Mapping[str, PlatformAdapter],
                 settings: TimeSettings | None = None, metrics: Metrics | None = None,
                 rng: random.Random | None = None, health: DatabaseHealth | None = None) -> None:
        self.db = db
        self.health = health or DatabaseHealth()
        self.clock = clock
        self.adapters = adapters
        self.settings = settings or TimeSettings()
        self.metrics = metrics or Metrics()
        self.limiter = RateLimiter()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.breakers: dict[str, Breaker] = {}
        self.last_loop = 0.0  # monotonic time the loop last went round (readiness)
        self._rng = rng or random.Random()
        self._retry_at: dict[int, float] = {}  # row id → monotonic time its back-off ends
        self._inflight: dict[int, asyncio.Task] = {}
        self._finished = 0  # sends completed, ever (drain's "did anything change?")
        self._kicked = False
        self._workspaces: dict[str, tuple[str, str]] = {}
        self._wake = asyncio.Event()
        self._claim_lock = asyncio.Lock()
        self._task: asyncio.Task | None = None

    # --- driving ------------------------------------------------------------------------

    def kick(self) -> None:
        """New rows or a moved clock: look at the queue now, not at the next poll."""
        self._kicked = True
        self._wake.set()

    def breaker(self, platform: str) -> Breaker:
        if platform not in self.breakers:
            self.breakers[platform] = Breaker(platform, failures=self.settings.delivery_breaker_failures,
                                              probe_seconds=self.settings.delivery_probe_seconds)
        return self.breakers[platform]

    @property
    def alive(self) -> bool:
        """Readiness: the loop task runs and went round within a few poll intervals."""
        if self._task is None or self._task.done():
            return False
        horizon = max(15.0, 4 * self.settings.delivery_poll_seconds)
        return time.monotonic() - self.last_loop < horizon

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
        s = self.settings
        while True:
            self.last_loop = time.monotonic()
            self._wake.clear()
            room = s.delivery_batch_size - len(self._inflight)
            spawned = 0
            # claim in batches, not once per finished send: a claim is a write transaction
            if room >= max(1, s.delivery_batch_size // 4) or not self._inflight:
                try:
                    async with self.db.bounded(max(5.0, s.delivery_lease_seconds / 2)):
                        spawned = len(await self._claim_and_spawn(room))
                    self.health.success()
                except Exception as exc:
                    if not is_unavailable(exc):
                        log.exception("outbox claim failed")
                    self.health.failure(exc, where="delivery")
            if spawned and spawned == room:
                continue
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that lands
            # just after the event fired, and stop() then waits for ever (issue 15)
            try:
                async with asyncio.timeout(self._sleep_seconds()):
                    await self._wake.wait()
            except TimeoutError:
                continue
            if self._kicked:
                # New rows: under load every click kicks, and a claim is a write transaction
                # queueing with the clicks' own — gather the burst. (A finished send claims its
                # chat's next row at once.)
                self._kicked = False
                await asyncio.sleep(s.delivery_coalesce_seconds)

    def _sleep_seconds(self) -> float:
        """The poll interval, shorter when a breaker's probe or a back-off ends sooner."""
        wait = self.settings.delivery_poll_seconds
        mono = time.monotonic()
        for b in self.breakers.values():
            if b.is_open and not b.probing:
                wait = min(wait, max(0.01, b.next_probe - mono))
        return wait

    async def _claim_and_spawn(self, limit: int) -> list[asyncio.Task]:
        """Claim and register the sends atomically, so `drain` never misses work between the
        two (another task's claim is either visible as in flight or holds the lock)."""
        async with self._claim_lock:
            tasks = []  # one entry per row: a batch's task once for each of its rows
            for group in batches(await self._claim(limit), self.adapters):
                task = asyncio.create_task(self._send(group))
                for c in group:
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
            self.last_loop = time.monotonic()
            self._task = asyncio.create_task(self.run_forever(), name="collab-delivery")

    async def stop(self, *, grace: float | None = None) -> None:
        """Stop claiming; let sends in flight finish (up to `grace` s), release the rest.
        Bounded: returns within about grace + 2 s whatever the tasks do."""
        if self._task is not None:
            task, self._task = self._task, None
            for _ in range(3):  # a cancel swallowed by a library is sent again
                task.cancel()
                if (await asyncio.wait([task], timeout=1.0))[0]:
                    break
            else:
                log.error("delivery loop did not stop; abandoned")
        pending = list(self._inflight.values())
        if pending:
            timeout = self.settings.delivery_stop_grace_seconds if grace is None else grace
            _done, still = await asyncio.wait(pending, timeout=timeout)
            for task in still:
                task.cancel()
            if still:
                await asyncio.wait(still, timeout=2.0)

    # --- one row --------------------------------------------------------------------------

    async def _claim(self, limit: int) -> list[Claimed]:
        mono = time.monotonic()
        real_due = {rid for rid, at in self._retry_at.items() if at <= mono}
        common = dict(now=self.clock.now(), lease_seconds=self.settings.delivery_lease_seconds,
                      owner=self.owner, exclude=set(self._inflight), workspaces=self._workspaces)
        closed_out = [p for p, b in self.breakers.items() if b.is_open]
        found = await outbox_store.claim(self.db, limit=limit, real_due=real_due,
                                         platforms=set(self.adapters) - set(closed_out), **common)
        claimed, expired = list(found.claimed), list(found.expired)
        for platform in closed_out:
            b = self.breakers[platform]
            if len(claimed) >= limit or not b.probe_due(mono):
                continue
            probe = await outbox_store.claim(self.db, limit=1, platforms=[platform],
                                             probe=True, **common)
            expired += probe.expired
            if probe.claimed:
                b.start_probe(mono)
                claimed += probe.claimed
        if len(found.claimed) < limit:  # every real-due row was claimed, or is not pending
            for rid in real_due:
                self._retry_at.pop(rid, None)
        for c in claimed:
            self._retry_at.pop(c.row.id, None)
        for row in expired:
            self.metrics.outbox_expired.labels(row.platform).inc()
            log.warning("outbox expired", extra={
                "outbox_id": row.id, "platform": row.platform, "conversation": row.conversation,
                "kind": row.kind, "expires_at": row.expires_at.isoformat() if row.expires_at else ""})
        if expired:
            self._finished += len(expired)  # drain: the chats' next rows are heads now
            self._wake.set()
        return claimed

    async def _send(self, group: list[Claimed]) -> None:
        first = group[0].row  # one row, or a batch the adapter sends in one call (bot/batching.py)
        attempt = asyncio.create_task(self._attempt(group[0]) if len(group) == 1
                                      else send_batch(self, group))
        renewing = [asyncio.create_task(self._keep_lease(c.row.id, attempt)) for c in group]
        try:
            await asyncio.shield(attempt)
        except asyncio.CancelledError:
            attempt.cancel()
            await asyncio.wait([attempt], timeout=1.0)
            if attempt.cancelled() or not attempt.done():
                self.breaker(first.platform).released()
                await asyncio.shield(asyncio.gather(*(self._release(c.row) for c in group)))
            if asyncio.current_task().cancelling():
                raise
        except Exception as exc:  # the database itself failed: the lease brings the row back
            if is_unavailable(exc):
                self.health.failure(exc, where="delivery")
            else:
                log.exception("outbox row could not be finished (its lease brings it back)",
                              extra={"outbox_id": first.id, "rows": len(group)})
        finally:
            for task in renewing:
                task.cancel()

    async def _release(self, row: Any) -> None:
        try:
            async with asyncio.timeout(2.0):
                await outbox_store.release(self.db, row=row, owner=self.owner,
                                           now=self.clock.now())
        except Exception:  # noqa: BLE001 — the lease runs out and brings it back anyway
            log.warning("outbox row not released", extra={"outbox_id": row.id})

    async def _keep_lease(self, row_id: int, attempt: asyncio.Task) -> None:
        """Renew the lease every third of it while the send runs; if another worker took the
        row over (this one stalled past its lease), stop sending it."""
        lease = self.settings.delivery_lease_seconds
        while not attempt.done():
            await asyncio.sleep(lease / 3)
            try:
                held = await outbox_store.renew(self.db, row_id=row_id, owner=self.owner,
                                                lease_seconds=lease)
            except Exception:  # noqa: BLE001 — database trouble: keep sending, try again
                continue
            if not held:
                log.warning("outbox lease lost: another worker has the row",
                            extra={"outbox_id": row_id})
                attempt.cancel()
                return

    async def _attempt(self, claimed: Claimed) -> None:
        row = claimed.row
        adapter = self.adapters.get(row.platform)
        if adapter is None:
            await self._permanent(claimed, f"no adapter for platform {row.platform!r}")
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
        except Exception as exc:  # connection errors, adapter bugs too: retried, never dropped
            return await self.failed(claimed, exc)
        await self.finish(claimed, outbound, result)

    async def failed(self, claimed: Claimed, exc: Exception, *, counts: bool = True) -> None:
        """Permanent → failure notice; 429 → after Retry-After; else back-off, and a breaker
        failure when `counts` (a batch's one failed call counts once, not once per row)."""
        breaker = self.breaker(claimed.row.platform)
        if isinstance(exc, DeliveryError) and not exc.retryable:
            breaker.success(time.monotonic())  # the platform answered: it is up
            await self._permanent(claimed, f"DeliveryError: {exc}")
        elif isinstance(exc, DeliveryError) and exc.retry_after is not None:  # up, but slow down
            breaker.success(time.monotonic())
            await self._retry(claimed, f"DeliveryError: {exc}", "rate_limited", exc.retry_after)
        elif isinstance(exc, DeliveryError):
            await self._transient(claimed, f"DeliveryError: {exc}", "error", counts=counts)
        elif isinstance(exc, TimeoutError):
            await self._transient(claimed, "timeout", "timeout", counts=counts)
        else:
            await self._transient(claimed, f"{type(exc).__name__}: {exc}", "error", counts=counts)

    async def finish(self, claimed: Claimed, outbound: Any, result: Any) -> None:
        """The platform took the message: `sent` (the chat's next row becomes its head)."""
        row = claimed.row
        if self.breaker(row.platform).success(time.monotonic()):
            await self._recovered(row.platform)
        failed = "failed" in row.payload  # a failure notice went out in the message's place
        message_id = result.platform_message_id or outbound.platform_message_id
        if not await outbox_store.mark_sent(
                self.db, row=row, owner=self.owner, at=self.clock.now(),
                platform_message_id=message_id, state="failed" if failed else "sent"):
            return
        self.metrics.outbox_sent.labels(row.platform).inc()
        log.info("outbox sent", extra={"outbox_id": row.id, "platform": row.platform,
                                       "conversation": row.conversation, "kind": outbound.kind})

    async def _recovered(self, platform: str) -> None:
        """The outage is over: rows backed off during it go now, not after their back-off."""
        due = await outbox_store.retry_now(self.db, platform=platform, now=self.clock.now())
        self._retry_at.clear()
        self.metrics.breaker_open.labels(platform).set(0)
        log.info("platform recovered: backed-off rows due now",
                 extra={"platform": platform, "rows": due})
        self._wake.set()

    async def _transient(self, claimed: Claimed, error: str, reason: str, *,
                         counts: bool = True) -> None:
        if counts and self.breaker(claimed.row.platform).failure(time.monotonic(), error):
            self.metrics.breaker_open.labels(claimed.row.platform).set(1)
            self.metrics.breaker_trips.labels(claimed.row.platform).inc()
        await self._retry(claimed, error, reason, None)

    async def _retry(self, claimed: Claimed, error: str, reason: str,
                     retry_after: float | None) -> None:
        row = claimed.row
        attempt = row.attempts + 1
        if retry_after is not None:
            delay = max(0.0, retry_after)
        else:
            delay = backoff_delay(attempt, base=self.settings.delivery_base_backoff_seconds,
                                  cap=self.settings.delivery_max_backoff_seconds, rng=self._rng)
        if not await outbox_store.mark_retry(
                self.db, row=row, owner=self.owner, error=error,
                next_attempt_at=self.clock.now() + timedelta(seconds=delay)):
            return
        self._retry_at[row.id] = time.monotonic() + delay
        self.metrics.outbox_retries.labels(row.platform, reason).inc()
        breaker = self.breakers.get(row.platform)
        if breaker is None or not breaker.is_open:  # during an outage: one line per change
            log.warning("outbox retry", extra={"outbox_id": row.id, "platform": row.platform,
                                               "attempt": attempt, "delay": round(delay, 3),
                                               "error": error})

    async def _permanent(self, claimed: Claimed, error: str) -> None:
        """The platform refused the message for good. The first time, the row turns into a
        failure notice for the same chat (sent next, in its place); a notice that fails too
        (the chat is gone) ends the row — `failed`, with the original error kept."""
        row = claimed.row
        if "failed" in row.payload or row.platform not in self.adapters:
            done = await outbox_store.mark_failed(self.db, row=row, owner=self.owner, error=error)
        else:
            kind, payload = failure_notice(claimed, error)
            done = await outbox_store.replace_with_notice(
                self.db, row=row, owner=self.owner, error=error, now=self.clock.now(),
                kind=kind, payload=payload)
            self._retry_at[row.id] = time.monotonic()
        if not done or "failed" in row.payload:  # a failed notice: counted once, already
            return
        self.metrics.outbox_failed.labels(row.platform).inc()
        log.error("outbox failed", extra={"outbox_id": row.id, "platform": row.platform,
                                          "conversation": row.conversation, "error": error})
