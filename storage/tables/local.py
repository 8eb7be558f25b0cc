"""The embedded local platform's own world: what it has shown people, and the demo's virtual
time. On a real platform these live on the platform's servers; the demo keeps them in our
database so a restart finds the chats (and the cards later updates point at) and the clock
where they were."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from storage.types import JSONType, UTCDateTime


class LocalMessage(SQLModel, table=True):
    """One message in a local chat (`box` = chat) or a person's private inbox (`box` = user);
    its platform id is `m<id>`."""

    __tablename__ = "local_message"
    __table_args__ = (Index("ix_local_message_box", "workspace_id", "box", "key", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str
    box: str  # chat / user
    key: str  # chat id, or the person's user id
    text: str = ""
    card: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    urgent: bool = False
    escalation: str = ""  # an urgent ping's step: head / vp (R14)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class VirtualTime(SQLModel, table=True):
    """Where a virtual clock stands (one row per clock name): time lives in rows (DESIGN)."""

    __tablename__ = "virtual_time"

    name: str = Field(primary_key=True)
    now: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
