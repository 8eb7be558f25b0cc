"""A circuit breaker per platform for the outbox worker (issue 14, "outages").

During an outage every send fails the same way; trying each queued row in turn is a storm that
costs attempts, log lines and, on recovery, a thundering herd. After `failures` transient
failures in a row the circuit *opens*: the worker claims none of that platform's rows except one
*probe* every `probe_seconds`. The probe's success closes the circuit (the caller then makes the
rows waiting out a back-off due at once); its failure keeps it open for another interval.
Time is injected (monotonic seconds) so the state machine is tested without sleeping.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger("collab.delivery")


@dataclass
class Breaker:
    platform: str
    failures: int = 3
    probe_seconds: float = 5.0
    streak: int = 0  # transient failures in a row
    open_since: float | None = None
    next_probe: float = 0.0
    probing: bool = False
    outages: int = 0

    @property
    def is_open(self) -> bool:
        return self.open_since is not None

    def probe_due(self, now: float) -> bool:
        """Open, no probe in flight and the interval elapsed: one row may be tried."""
        return self.is_open and not self.probing and now >= self.next_probe

    def start_probe(self, now: float) -> None:
        self.probing = True
        self.next_probe = now + self.probe_seconds

    def success(self, now: float) -> bool:
        """A send went through; True when this ends an outage."""
        self.streak = 0
        self.probing = False
        if self.open_since is None:
            return False
        log.warning("platform back up", extra={"platform": self.platform,
                                               "down_seconds": round(now - self.open_since, 1)})
        self.open_since = None
        return True

    def failure(self, now: float, error: str) -> bool:
        """A transient failure; True when this starts an outage (one log line per change)."""
        self.streak += 1
        self.probing = False
        if self.open_since is not None:
            self.next_probe = max(self.next_probe, now + self.probe_seconds)
            return False
        if self.streak < self.failures:
            return False
        self.open_since = now
        self.next_probe = now + self.probe_seconds
        self.outages += 1
        log.warning("platform down: delivery paused, probing", extra={
            "platform": self.platform, "probe_seconds": self.probe_seconds, "error": error})
        return True

    def released(self) -> None:
        """The probe's row was handed back without an answer (shutdown, lost lease)."""
        self.probing = False
