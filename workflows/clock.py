"""The injectable clock: workflows never read the wall clock; tests and the demo move time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class VirtualClock:
    """A clock that only moves when told (demo, tests): `set()` or `advance()`."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs an aware datetime")
        self._now = start.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("VirtualClock needs an aware datetime")
        self._now = when.astimezone(timezone.utc)

    def advance(self, delta: timedelta) -> None:
        self._now += delta
