"""The tables that make the bot reliable (DESIGN "The rules that make it reliable")."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import JSONType, UTCDateTime


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class AuditEvent(SQLModel, table=True):
    """R24 append-only trail: who did what to what, when. Never updated, never deleted."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(index=True)
    request_id: int | None = Field(default=None, index=True)
    actor_id: int | None = None  # person id; None for the bot itself (timers)
    action: str  # e.g. request.approve, click.refused
    subject: str = ""  # e.g. task:3
    before: str = ""
    after: str = ""
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    at: datetime = _ts(False)


_OPEN = text("state IN ('pending', 'sending')")
_PENDING = text("state = 'pending'")
_SENDING = text("state = 'sending'")


class OutboxMessage(SQLModel, table=True):
    """A message the bot owes a conversation or a person; the delivery worker sends it.

    The claim (bot/outbox_store.py) reads only partial indexes over *open* rows, so its cost
    follows the batch, not the table: `ix_outbox_pending` walks pending rows in id order,
    `ix_outbox_open` answers "is an earlier row of this chat still open?" with one probe, and
    `ix_outbox_sending` finds leases that ran out."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),
                      Index("ix_outbox_open", "workspace_id", "platform", "conversation", "id",
                            postgresql_where=_OPEN, sqlite_where=_OPEN),
                      Index("ix_outbox_pending", "id", "next_attempt_at",
                            postgresql_where=_PENDING, sqlite_where=_PENDING),
                      Index("ix_outbox_sending", "lease_until",
                            postgresql_where=_SENDING, sqlite_where=_SENDING))

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(index=True)
    platform: str
    conversation: str  # chat id, or a person's platform user id for direct messages
    kind: str  # post / update / dm / urgent
    card_key: str = ""  # logical card ("request:12") so updates find the platform message
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    state: str = "pending"  # pending / sending / sent / failed / expired
    attempts: int = 0
    next_attempt_at: datetime = _ts(False)
    # while `sending`: which worker holds the row, until when (real UTC time, renewed while the
    # send runs — a virtual clock must never decide that a live worker's lease ran out)
    lease_owner: str = ""
    lease_until: datetime | None = _ts()
    # a message that is pointless after this moment (a reminder for a day that is over) is
    # `expired` instead of sent late; None: it waits as long as it takes
    expires_at: datetime | None = _ts()
    last_error: str = ""
    platform_message_id: str = ""
    created_at: datetime = _ts(False)
    sent_at: datetime | None = _ts()


class MessageRef(SQLModel, table=True):
    """Where a logical card lives on the platform, so `chat.update`/PATCH can find it."""

    __tablename__ = "message_ref"
    __table_args__ = (UniqueConstraint("workspace_id", "conversation", "card_key"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str
    conversation: str
    card_key: str
    platform_message_id: str


class Timer(SQLModel, table=True):
    """A deadline (DESIGN rule 4): the sweep fires rows whose `due_at` has passed, once."""

    __table_args__ = (Index("ix_timer_due", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(index=True)
    kind: str  # e.g. issue.escalate_head, task.due, confirm.remind
    subject: str = Field(index=True)  # e.g. issue:7 — timers are cancelled by subject
    request_id: int | None = Field(default=None, index=True)  # … or all of one request's at once
    due_at: datetime = _ts(False)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    state: str = "pending"  # pending / fired / cancelled / failed
    fired_at: datetime | None = _ts()
    created_at: datetime = _ts(False)
    # the sweep's bookkeeping when a handler raises: retried with back-off, then `failed`
    attempts: int = 0
    last_error: str = ""
    retry_at: datetime | None = _ts()


class ProcessedEvent(SQLModel, table=True):
    """(platform, event id) seen: the same delivery twice has one effect (DESIGN rule 3)."""

    __tablename__ = "processed_event"

    platform: str = Field(primary_key=True)
    event_id: str = Field(primary_key=True)
    at: datetime = _ts(False)


class JobRun(SQLModel, table=True):
    """One cron tick of one workspace for one period: the unique key makes it run once."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "workspace_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str
    workspace_id: str
    period: str
    ran_at: datetime = _ts(False)
    status: str = "done"
