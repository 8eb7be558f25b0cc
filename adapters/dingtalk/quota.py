"""The standard edition's 10,000 OpenAPI calls per org per month (`ApiCountLimitForOrg`):
counted here, shown in `/metrics`, and warned about once per month before it runs out."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

log = logging.getLogger(__name__)


def _month(now: datetime) -> str:
    return now.strftime("%Y-%m")


@dataclass
class Quota:
    limit: int = 10000  # 0: no quota (higher editions)
    warn_ratio: float = 0.8
    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    used: int = 0
    month: str = ""
    warned: bool = False
    spent: bool = False  # DingTalk answered ApiCountLimitForOrg this month
    on_warning: Callable[[int, int], None] | None = None

    def _roll(self) -> None:
        month = _month(self.now())
        if month != self.month:
            self.month, self.used, self.warned, self.spent = month, 0, False, False

    def count(self, calls: int = 1) -> None:
        self._roll()
        self.used += calls
        if self.limit and not self.warned and self.used >= self.limit * self.warn_ratio:
            self.warned = True
            log.warning("DingTalk: %d of %d OpenAPI calls of this month used", self.used, self.limit)
            if self.on_warning is not None:
                self.on_warning(self.used, self.limit)

    def exhausted(self) -> None:
        self._roll()
        if not self.spent:
            log.error("DingTalk: the organisation's monthly OpenAPI quota is spent "
                      "(ApiCountLimitForOrg); messages wait in the outbox")
        self.spent = True

    @property
    def remaining(self) -> int:
        self._roll()
        return max(0, self.limit - self.used) if self.limit else -1
