"""The outbox worker (DESIGN rule 5 "Outbound is a queue"; docs/delivery.md).

Rows are claimed in order per conversation (`bot/outbox_claim.py`) — a chat's head and the due
rows after it as one *run* — under a lease renewed while the run is sent, sent in order through
the platform adapter under a token bucket per platform and per chat (`bot/ratelimit.py`), and
finished together (`bot/outbox_store.finish`; what each ending means: `bot/delivery_outcomes.py`).
A run stops at the first row that did not go (its rows after it are put back untouched), and
what it sent is put on record before it waits for a rate limit or after
`DELIVERY_RUN_FLUSH_SECONDS`, so a crash re-sends at most that much (at-least-once).

A platform failing transiently `DELIVERY_BREAKER_FAILURES` times in a row opens its circuit
(`bot/breaker.py`): one probe per `DELIVERY_PROBE_SECONDS`, not a storm; the probe's success
makes the outage's backed-off rows due at once.

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
from typing import Mapping

from adapters.base import PlatformAdapter
from bot import delivery_outcomes as ending
from bot import outbox_store
from bot.batching import batches
from bot.breaker import Breaker
from bot.delivery_outcomes import Ended
from bot.delivery_runs import Progress, send_runs
from bot.health import DatabaseHealth
from bot.metrics import Metrics
from bot.outbox_claim import Claimed, chat_key, claim
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
        self.rng = rng or random.Random()
        self.retry_at: dict[int, float] = {}  # row id → monotonic time its back-off ends
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
        spawned = await self._claim_and_spawn(self.settings.delivery_batch_size)
        if spawned:
            await asyncio.gather(*spawned, return_exceptions=True)
        return sum(spawned.values())

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
            room = s.delivery_batch_size - len(set(self._inflight.values()))  # runs
            spawned = 0
            # claim in batches, not once per finished send: a claim is a write transaction
            if room >= max(1, s.delivery_batch_size // 4) or not self._inflight:
                try:
                    async with self.db.bounded(max(5.0, s.delivery_lease_seconds / 2)):
                        spawned = len(await self._claim_and_spawn(room))  # units
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

    async def _claim_and_spawn(self, limit: int) -> dict[asyncio.Task, int]:
        """Claim and register the sends atomically, so `drain` never misses work between the
        two (another task's claim is either visible as in flight or holds the lock); each
        unit's task with its number of rows."""
        async with self._claim_lock:
            tasks = {}
            for unit in batches(await self._claim(limit), self.adapters):
                task = asyncio.create_task(self._send(unit))
                rows = [c for run in unit for c in run]
                for c in rows:
                    self._inflight[c.row.id] = task
                    task.add_done_callback(lambda _t, rid=c.row.id: self._done(rid))
                tasks[task] = len(rows)
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

    # --- one run ---------------------------------------------------------------------------

    async def _claim(self, limit: int) -> list[list[Claimed]]:
        mono = time.monotonic()
        real_due = {rid for rid, at in self.retry_at.items() if at <= mono}
        common = dict(now=self.clock.now(), lease_seconds=self.settings.delivery_lease_seconds,
                      owner=self.owner, exclude=set(self._inflight), workspaces=self._workspaces)
        closed_out = [p for p, b in self.breakers.items() if b.is_open]
        run_size = dict.fromkeys(self.adapters, self.settings.delivery_run_size)
        found = await claim(self.db, limit=limit, real_due=real_due, run_size=run_size,
                            platforms=set(self.adapters) - set(closed_out), **common)
        runs, expired = list(found.runs), list(found.expired)
        for platform in closed_out:
            b = self.breakers[platform]
            if len(runs) >= limit or not b.probe_due(mono):
                continue
            probe = await claim(self.db, limit=1, platforms=[platform], probe=True, **common)
            expired += probe.expired
            if probe.runs:
                b.start_probe(mono)
                runs += probe.runs
        if len(found.runs) < limit:  # every real-due row was claimed, or is not pending
            for rid in real_due:
                self.retry_at.pop(rid, None)
        for run in runs:
            for c in run:
                self.retry_at.pop(c.row.id, None)
        for row in expired:
            self.metrics.outbox_expired.labels(row.platform).inc()
            log.warning("outbox expired", extra={
                "outbox_id": row.id, "platform": row.platform, "conversation": row.conversation,
                "kind": row.kind, "expires_at": row.expires_at.isoformat() if row.expires_at else ""})
        if expired:
            self._finished += len(expired)  # drain: the chats' next rows are heads now
            self._wake.set()
        return runs

    async def _send(self, unit: list[list[Claimed]]) -> None:
        """One run (a chat's rows, in order), or several whose heads the adapter sends in one
        call (`bot/batching.py`) and whose later rows follow; the lease renewed meanwhile."""
        progress = Progress()
        rows = [c for run in unit for c in run]
        attempt = asyncio.create_task(send_runs(self, unit, progress))
        renewing = asyncio.create_task(self._keep_lease(rows, progress, attempt))
        try:
            await asyncio.shield(attempt)
        except asyncio.CancelledError:
            attempt.cancel()
            await asyncio.wait([attempt], timeout=1.0)
            if attempt.cancelled() or not attempt.done():
                self.breaker(rows[0].row.platform).released()
                await asyncio.shield(self._put_back(rows, progress))
            if asyncio.current_task().cancelling():
                raise
        except Exception as exc:  # the database itself failed: the lease brings the rows back
            if is_unavailable(exc):
                self.health.failure(exc, where="delivery")
            else:
                log.exception("outbox rows could not be finished (their lease brings them back)",
                              extra={"outbox_id": rows[0].row.id, "rows": len(rows)})
        finally:
            renewing.cancel()

    async def settle(self, progress: Progress) -> None:
        """Put the unit's ended rows on record, one transaction per chat, then count and log
        them; a success that closed a platform's circuit makes its backed-off rows due."""
        chats: dict[tuple[str, str, str], list[Ended]] = {}
        for e in progress.unfinished():
            chats.setdefault(chat_key(e.claimed.row), []).append(e)
        for group in chats.values():
            done = await outbox_store.finish(self.db, owner=self.owner,
                                             outcomes=[e.outcome for e in group])
            progress.finished |= {e.claimed.row.id for e in group}
            for e in group:
                if e.claimed.row.id in done:
                    ending.committed(self, e)
        for platform in {e.claimed.row.platform for g in chats.values() for e in g
                         if e.recovered}:
            await self._recovered(platform)

    async def _put_back(self, unit: list[Claimed], progress: Progress) -> None:
        """Stopping mid-unit: what went out is put on record, the rest back in the queue,
        due at once."""
        seen = {e.claimed.row.id for e in progress.ended}
        now = self.clock.now()
        progress.ended += [ending.released(c, at=now) for c in unit if c.row.id not in seen]
        try:
            async with asyncio.timeout(2.0):
                await self.settle(progress)
        except Exception:  # noqa: BLE001 — the lease runs out and brings them back anyway
            log.warning("outbox rows not released", extra={"outbox_id": unit[0].row.id})

    async def _keep_lease(self, unit: list[Claimed], progress: Progress,
                          attempt: asyncio.Task) -> None:
        """Renew the unit's lease every third of it while it is sent; if another worker took it
        over (this one stalled past its lease), stop sending it."""
        lease = self.settings.delivery_lease_seconds
        while not attempt.done():
            await asyncio.sleep(lease / 3)
            ids = [c.row.id for c in unit if c.row.id not in progress.finished]
            try:
                held = await outbox_store.renew(self.db, row_ids=ids, owner=self.owner,
                                                lease_seconds=lease)
            except Exception:  # noqa: BLE001 — database trouble: keep sending, try again
                continue
            if held < len(set(ids) - progress.finished):  # (rows finished meanwhile are not held)
                log.warning("outbox lease lost: another worker has the rows",
                            extra={"outbox_id": ids[0] if ids else None})
                attempt.cancel()
                return

    async def _recovered(self, platform: str) -> None:
        """The outage is over: rows backed off during it go now, not after their back-off."""
        due = await outbox_store.retry_now(self.db, platform=platform, now=self.clock.now())
        self.retry_at.clear()
        self.metrics.breaker_open.labels(platform).set(0)
        log.info("platform recovered: backed-off rows due now",
                 extra={"platform": platform, "rows": due})
        self._wake.set()
