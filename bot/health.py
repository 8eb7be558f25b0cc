"""Database outages as state changes (issue 14): one log line when the database becomes
unreachable and one when it is back — not a traceback per request, sweep and poll — shared by
the inbound path, the scheduler, the delivery worker and `/readyz`."""
from __future__ import annotations

import logging
import time

log = logging.getLogger("collab.health")


class DatabaseHealth:
    def __init__(self) -> None:
        self.down_since: float | None = None
        self.last_error = ""
        self.outages = 0

    @property
    def up(self) -> bool:
        return self.down_since is None

    def failure(self, exc: BaseException, *, where: str) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"[:300]
        if self.down_since is not None:
            return
        self.down_since = time.monotonic()
        self.outages += 1
        log.error("database unreachable", extra={"where": where, "error": self.last_error})

    def success(self) -> None:
        if self.down_since is None:
            return
        down = time.monotonic() - self.down_since
        self.down_since = None
        log.warning("database back up", extra={"down_seconds": round(down, 1)})
