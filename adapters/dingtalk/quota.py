"""The standard edition's 10,000 OpenAPI calls per org per month (`ApiCountLimitForOrg`):
counted here as calls are made, shown in `/metrics`, and handed to `QuotaWatch`
(`adapters/dingtalk/quota_watch.py`), which adds them to the month's count in the database —
shared by replicas, kept across restarts — and warns the workspace admins.

The month is DingTalk's calendar month (China time): the quota resets at 00:00 Asia/Shanghai
on the 1st, whatever zone the workspace is in.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)
DINGTALK_ZONE = ZoneInfo("Asia/Shanghai")


def month_of(now: datetime) -> str:
    return now.astimezone(DINGTALK_ZONE).strftime("%Y-%m")


@dataclass
class Quota:
    limit: int = 10000  # the month's budget (0: no quota, higher editions)
    warn_at: tuple[int, ...] = (80, 95)  # percent of `limit` at which the admins are told
    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    used: int = 0  # this month's calls as last known: the shared count plus `unflushed`
    unflushed: int = 0  # calls made here and not yet added to the shared count
    month: str = ""
    spent: bool = False  # DingTalk answered ApiCountLimitForOrg this month

    def _roll(self) -> None:
        month = month_of(self.now())
        if month != self.month:
            self.month, self.used, self.unflushed, self.spent = month, 0, 0, False

    def count(self, calls: int = 1) -> None:
        self._roll()
        self.used += calls
        self.unflushed += calls

    def exhausted(self) -> None:
        self._roll()
        if not self.spent:
            log.error("DingTalk: the organisation's monthly OpenAPI quota is spent "
                      "(ApiCountLimitForOrg); messages wait in the outbox")
        self.spent = True

    def take(self) -> tuple[str, int]:
        """The calls to add to the shared count (and forget here until `settle`)."""
        self._roll()
        calls, self.unflushed = self.unflushed, 0
        return self.month, calls

    def give_back(self, month: str, calls: int) -> None:
        """The shared count could not be written: keep the calls for the next flush."""
        if month == self.month:
            self.unflushed += calls

    def settle(self, month: str, total: int) -> None:
        """The shared count after a flush: every replica's calls of the month."""
        if month == self.month:
            self.used = total + self.unflushed

    def reached(self, total: int) -> list[int]:
        """The warning levels (percent) `total` calls have reached."""
        return [p for p in sorted(self.warn_at) if self.limit and total >= self.limit * p / 100]

    @property
    def remaining(self) -> int:
        self._roll()
        return max(0, self.limit - self.used) if self.limit else -1
