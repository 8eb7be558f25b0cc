"""The tables that make the bot reliable (DESIGN "The rules that make it reliable")."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, Column, Index, UniqueConstraint, event, text
from sqlmodel import Field, SQLModel

from storage.types import JSONType, UTCDateTime


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


_BOARD = text("action = 'board.daily'")


class AuditEvent(SQLModel, table=True):
    """R24 append-only trail: who did what to what, when. Never updated, never deleted."""

    __tablename__ = "audit_event"
    # the last daily board of a group (R36), found per chunk of the 17:00 tick; partial, so
    # every other audit row costs nothing more
    __table_args__ = (Index("ix_audit_board", "workspace_id", "subject", "id",
                            postgresql_where=_BOARD, sqlite_where=_BOARD),)

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
_SENDING = text("state = 'sending'")
_HAS_HEAD = text("due_at IS NOT NULL")


class OutboxMessage(SQLModel, table=True):
    """A message the bot owes a conversation or a person; the delivery worker sends it.

    The claim (bot/outbox_claim.py) never reads the open rows as a whole: each conversation's
    head is on `outbox_chat`; `ix_outbox_open` (partial, open rows) finds a chat's next row when
    its head is done, and `ix_outbox_sending` the leases that ran out."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),
                      Index("ix_outbox_open", "workspace_id", "platform", "conversation", "id",
                            postgresql_where=_OPEN, sqlite_where=_OPEN),
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


class OutboxChat(SQLModel, table=True):
    """One conversation's place in the queue: its head (the oldest open row — the only one
    that may be sent) and when that head is due (`due_at`; NULL while it is being sent or the
    chat has nothing open). The claim reads `ix_outbox_chat_due` — O(batch) however many rows
    are open — and the order of a chat is the order its writers took this row's lock: a new
    row is linked here by a trigger inside its own INSERT (`OUTBOX_CHAT_TRIGGER`), so a row
    from a transaction that commits later can never be sent before an earlier one."""

    __tablename__ = "outbox_chat"
    __table_args__ = (Index("ix_outbox_chat_due", "platform", "due_at",
                            postgresql_where=_HAS_HEAD, sqlite_where=_HAS_HEAD),)

    workspace_id: str = Field(primary_key=True)
    platform: str = Field(primary_key=True)
    conversation: str = Field(primary_key=True)
    head_id: int | None = None
    due_at: datetime | None = _ts()


_CHAT = """workspace_id = NEW.workspace_id AND platform = NEW.platform
    AND conversation = NEW.conversation"""
_LINK = f"""INSERT INTO outbox_chat (workspace_id, platform, conversation, head_id, due_at)
  VALUES (NEW.workspace_id, NEW.platform, NEW.conversation, NULL, NULL) ON CONFLICT DO NOTHING;
{{lock}}UPDATE outbox_chat SET head_id = NEW.id, due_at = NEW.next_attempt_at
  WHERE {_CHAT} AND head_id IS NULL;"""
# PostgreSQL: the chat row is locked first (held to commit), so writers to one chat queue in
# commit order; it is updated only when the chat had no head — a transaction adding many rows to
# one chat must not pile up a row version per row
OUTBOX_CHAT_TRIGGER = {
    "sqlite": ["""CREATE TRIGGER IF NOT EXISTS outbox_chat_link AFTER INSERT ON outbox_message
WHEN NEW.state = 'pending' BEGIN
""" + _LINK.format(lock="") + "\nEND"],
    "postgresql": ["""CREATE OR REPLACE FUNCTION outbox_chat_link() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN
""" + _LINK.format(lock=f"PERFORM 1 FROM outbox_chat WHERE {_CHAT} FOR UPDATE;\n") + """
RETURN NULL; END $$""", """CREATE OR REPLACE TRIGGER outbox_chat_link AFTER INSERT ON outbox_message
FOR EACH ROW WHEN (NEW.state = 'pending') EXECUTE FUNCTION outbox_chat_link()"""],
}
for _dialect, _statements in OUTBOX_CHAT_TRIGGER.items():
    for _sql in _statements:
        event.listen(OutboxMessage.__table__, "after_create",  # type: ignore[attr-defined]
                     DDL(_sql).execute_if(dialect=_dialect))


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
    status: str = "done"  # running (chunks still to do) / done
    cursor: str = ""  # how far a running tick has got: the job's key of its last committed chunk
