"""Per-workspace counters: request numbers, feedback and dispute numbers (`storage/counters.py`)."""
from __future__ import annotations

from sqlmodel import Field, SQLModel


class Counter(SQLModel, table=True):
    """The last value handed out for one named sequence of one workspace. Its row is the lock:
    two filings at once queue on it instead of both reading `max + 1`."""

    workspace_id: str = Field(primary_key=True)
    name: str = Field(primary_key=True)
    value: int = 0
