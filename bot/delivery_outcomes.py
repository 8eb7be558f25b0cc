"""How one send ended, as the row's `Outcome` — decided without the database — and what follows
once its finish committed (`committed`: metrics, logs, the worker's own back-off memory).

- success → `sent` (the platform message id kept; for cards, where the card lives);
- transient failures — `DeliveryError(retryable=True)` (429 with Retry-After, 5xx), timeouts,
  connection errors, any other exception — → `retry`: after Retry-After, or after capped
  exponential back-off with jitter, for as long as it takes (a row ends unsent only when its
  message expires by policy); a transient failure counts against the platform's breaker;
- a permanent error (`retryable=False`: chat or user gone, payload refused) → `notice`: the row
  turns into a short failure notice in the workspace's language, sent in the message's place, so
  the chat does not silently skip ahead; a notice that fails too (the chat is gone) → `failed`.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from adapters.base import DeliveryError
from bot.outbound import backoff_delay, failure_notice
from bot.outbox_claim import Claimed
from bot.outbox_store import Outcome

if TYPE_CHECKING:
    from bot.delivery import DeliveryWorker

log = logging.getLogger("collab.delivery")


@dataclass
class Ended:
    """A row's outcome plus what the log and the metrics say about it once it is on record."""

    claimed: Claimed
    outcome: Outcome
    kind: str = ""  # sent: the kind the adapter was given
    reason: str = ""  # retry: rate_limited / error / timeout
    delay: float = 0.0  # retry: seconds until it is due again
    recovered: bool = False  # sent: this success closed the platform's circuit


def sent(worker: "DeliveryWorker", claimed: Claimed, outbound: Any, result: Any) -> Ended:
    row = claimed.row
    recovered = worker.breaker(row.platform).success(time.monotonic())
    message_id = result.platform_message_id or outbound.platform_message_id
    return Ended(claimed, Outcome(row, "sent", at=worker.clock.now(),
                                  platform_message_id=message_id),
                 kind=outbound.kind, recovered=recovered)


def released(claimed: Claimed, *, at: datetime | None = None) -> Ended:
    """Never tried (the run stopped before it, the worker is stopping): back as it was."""
    return Ended(claimed, Outcome(claimed.row, "release", at=at))


def failed(worker: "DeliveryWorker", claimed: Claimed, exc: BaseException, *,
           counts: bool = True) -> Ended:
    """Permanent → failure notice; 429 → after Retry-After; else back-off, and a breaker
    failure when `counts` (a batch's one failed call counts once, not once per row)."""
    breaker = worker.breaker(claimed.row.platform)
    if isinstance(exc, DeliveryError) and not exc.retryable:
        breaker.success(time.monotonic())  # the platform answered: it is up
        return permanent(worker, claimed, f"DeliveryError: {exc}")
    if isinstance(exc, DeliveryError) and exc.retry_after is not None:  # up, but slow down
        breaker.success(time.monotonic())
        return _retry(worker, claimed, f"DeliveryError: {exc}", "rate_limited", exc.retry_after)
    if isinstance(exc, DeliveryError):
        error, reason = f"DeliveryError: {exc}", "error"
    elif isinstance(exc, TimeoutError):
        error, reason = "timeout", "timeout"
    else:
        error, reason = f"{type(exc).__name__}: {exc}", "error"
    if counts and breaker.failure(time.monotonic(), error):
        worker.metrics.breaker_open.labels(claimed.row.platform).set(1)
        worker.metrics.breaker_trips.labels(claimed.row.platform).inc()
    return _retry(worker, claimed, error, reason, None)


def _retry(worker: "DeliveryWorker", claimed: Claimed, error: str, reason: str,
           retry_after: float | None) -> Ended:
    s = worker.settings
    if retry_after is not None:
        delay = max(0.0, retry_after)
    else:
        delay = backoff_delay(claimed.row.attempts + 1, base=s.delivery_base_backoff_seconds,
                              cap=s.delivery_max_backoff_seconds, rng=worker.rng)
    at = worker.clock.now() + timedelta(seconds=delay)
    return Ended(claimed, Outcome(claimed.row, "retry", at=at, error=error), reason=reason,
                 delay=delay)


def permanent(worker: "DeliveryWorker", claimed: Claimed, error: str) -> Ended:
    """The platform refused the message for good: the first time, a notice in its place (sent
    next, same chat); a notice that fails too ends the row, with the original error kept."""
    row = claimed.row
    if "failed" in row.payload or row.platform not in worker.adapters:
        return Ended(claimed, Outcome(row, "failed", error=error))
    kind, payload = failure_notice(claimed, error)
    return Ended(claimed, Outcome(row, "notice", at=worker.clock.now(), error=error, kind=kind,
                                  payload=payload))


def committed(worker: "DeliveryWorker", ended: Ended) -> None:
    """The outcome is on record: count it, log it, remember this worker's own back-off."""
    row, o = ended.claimed.row, ended.outcome
    if o.state == "sent":
        worker.metrics.outbox_sent.labels(row.platform).inc()
        log.info("outbox sent", extra={"outbox_id": row.id, "platform": row.platform,
                                       "conversation": row.conversation, "kind": ended.kind})
    elif o.state == "retry":
        worker.retry_at[row.id] = time.monotonic() + ended.delay
        worker.metrics.outbox_retries.labels(row.platform, ended.reason).inc()
        breaker = worker.breakers.get(row.platform)
        if breaker is None or not breaker.is_open:  # during an outage: one line per change
            log.warning("outbox retry", extra={
                "outbox_id": row.id, "platform": row.platform, "attempt": row.attempts + 1,
                "delay": round(ended.delay, 3), "error": o.error})
    elif o.state in ("notice", "failed"):
        if o.state == "notice":
            worker.retry_at[row.id] = time.monotonic()  # the notice goes now, frozen clock or not
        if "failed" in row.payload:  # a failed notice: its message was counted already
            return
        worker.metrics.outbox_failed.labels(row.platform).inc()
        log.error("outbox failed", extra={"outbox_id": row.id, "platform": row.platform,
                                          "conversation": row.conversation, "error": o.error})
