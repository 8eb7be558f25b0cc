"""The collaboration itself: requests, tasks (RACI), confirmations, progress, issues, changes,
deliveries and acceptances — the tables behind R1–R23."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import JSONType, UTCDateTime


def _json(default: Any = None) -> Any:
    factory = (lambda: {}) if default is None else default
    return Field(default_factory=factory, sa_column=Column(JSONType, nullable=False))


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class CollaborationRequest(SQLModel, table=True):
    """协作需求 (R1). `collaborating` is a list of department ids; `content` maps a department id
    (as text) to its concrete work; `milestones` is a list of {name, date}."""

    __tablename__ = "collab_request"
    __table_args__ = (UniqueConstraint("workspace_id", "number"),
                      # what a chat asks for: the requests of this conversation (list, board)
                      Index("ix_collab_request_conversation", "workspace_id", "conversation", "id"),
                      # what the daily ticks page through (issue 15): by state, by initiator
                      Index("ix_collab_request_by_state", "workspace_id", "state", "id"),
                      Index("ix_collab_request_by_initiator", "workspace_id", "initiator_id", "id"))

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspace.id", index=True)
    number: str
    title: str
    goal: str = ""
    initiating_department_id: int = Field(foreign_key="department.id")
    initiator_id: int = Field(foreign_key="person.id")
    conversation: str  # the group chat the request lives in
    collaborating: list[int] = _json(list)
    content: dict[str, str] = _json()
    standard: str = ""
    milestones: list[dict[str, Any]] = _json(list)
    contacts: dict[str, Any] = _json()  # department id (text) → {"person": id, "way": 联系方式} (R1)
    due_date: date | None = None
    state: str = Field(default="submitted", index=True)
    reason: str = ""  # rejection / cancellation reason
    created_at: datetime = _ts(False)
    updated_at: datetime = _ts(False)
    archived_at: datetime | None = _ts()
    lessons: list[dict[str, Any]] = _json(list)  # R23 retrospective entries
    scope_in: str = ""  # R34 协作范围: what this collaboration covers
    scope_out: str = ""  # R34 … and what it does not
    acceptance_rule: str = ""  # R35: "" the initiating side alone; "unanimous" / "initiator_decides" a panel
    received: dict[str, Any] = _json()  # R28: department id (text) → {"person": id, "at": iso time}


class Task(SQLModel, table=True):
    """One task of a request with exactly one lead (R) department (R5)."""

    # the 16:30 reminder pages through the open tasks owner by owner (issue 15)
    __table_args__ = (Index("ix_task_owner", "owner_id", "request_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    seq: int = 1
    title: str
    lead_department_id: int = Field(foreign_key="department.id")  # R
    accountable_department_id: int | None = None  # A
    consulted: list[int] = _json(list)  # C
    informed: list[int] = _json(list)  # I
    supporting: list[int] = _json(list)  # 配合
    owner_id: int = Field(foreign_key="person.id")
    standard: str = ""
    start_date: date | None = None
    due_date: date | None = None
    status: str = Field(default="not_started")  # R9: not_started / in_progress / done / delayed
    risk: str = "low"  # R9: high / medium / low
    done_at: datetime | None = _ts()


class Confirmation(SQLModel, table=True):
    """签字确认: one department's confirmation of one subject (the RACI split, a plan change,
    completion). The unique key is what makes a second click a no-op (R6, R17, R21)."""

    __table_args__ = (UniqueConstraint("request_id", "kind", "subject_id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    kind: str  # raci / change / completion
    subject_id: int = 0  # plan change id for kind=change; 0 otherwise
    department_id: int = Field(foreign_key="department.id")
    person_id: int = Field(foreign_key="person.id")
    confirmed_at: datetime = _ts(False)


class ProgressPost(SQLModel, table=True):
    """R7 daily post: today's progress and tomorrow's plan for one task on one working day."""

    __tablename__ = "progress_post"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    work_date: date = Field(index=True)
    today: str
    tomorrow: str = ""
    risk_note: str = ""
    posted_at: datetime = _ts(False)


class WeeklyReport(SQLModel, table=True):
    """R8: the compiled Friday report, kept for the archive."""

    __tablename__ = "weekly_report"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    week_start: date
    done: list[str] = _json(list)
    next_week: list[str] = _json(list)
    risks: list[str] = _json(list)
    created_at: datetime = _ts(False)


class Issue(SQLModel, table=True):
    """问题跟踪表 (R12) with the 2-hour rule's state (R14)."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    seq: int = 1
    description: str
    departments: list[int] = _json(list)
    severity: str = "medium"  # high / medium / low
    urgent: bool = False
    scope: str = ""
    suggestion: str = ""
    support: str = ""  # R36 所需支持: what the responsible side needs from others
    responsible_department_id: int = Field(foreign_key="department.id")
    owner_id: int | None = None
    deadline: datetime | None = _ts()  # 解决时限
    state: str = Field(default="open", index=True)  # open / acknowledged / resolved
    raised_by: int = Field(foreign_key="person.id")
    raised_at: datetime = _ts(False)
    acknowledged_by: int | None = None
    acknowledged_at: datetime | None = _ts()
    solution: str = ""
    resolved_at: datetime | None = _ts()
    escalation_level: int = 0  # 0 none, 1 head, 2 VP


class PlanChange(SQLModel, table=True):
    """R17: a proposed change; `old_plan` keeps the plan it replaces visible."""

    __tablename__ = "plan_change"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    seq: int = 1
    reason: str
    impact: str = ""
    proposal: dict[str, Any] = _json()  # {"due": iso date, "tasks": {seq: iso date}, "scope": text}
    old_plan: dict[str, Any] = _json()
    state: str = "proposed"  # proposed / approved / rejected
    proposed_by: int = Field(foreign_key="person.id")
    proposed_at: datetime = _ts(False)
    decided_at: datetime | None = _ts()
    decided_by: int | None = None  # who applied (the last signature) or rejected it
    decision_note: str = Field(default="", sa_column_kwargs={"server_default": ""})  # why it was rejected


class Delivery(SQLModel, table=True):
    """R19: deliverables plus the self-check list, one row per submission round."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    round: int = 1
    deliverables: str
    self_check: list[dict[str, Any]] = _json(list)  # [{"standard": str, "met": bool}]
    submitted_by: int = Field(foreign_key="person.id")
    submitted_at: datetime = _ts(False)


class Acceptance(SQLModel, table=True):
    """R20 验收结果表: the verdict on one delivery round."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    delivery_id: int = Field(foreign_key="delivery.id")
    verdict: str  # pass / fail / rework
    notes: str = ""
    rework_due: date | None = None
    decided_by: int = Field(foreign_key="person.id")
    decided_at: datetime = _ts(False)


class Feedback(SQLModel, table=True):
    """R16/R18: a collaborating department's feedback or question; the initiator owes an answer
    within 24 h, and feedback on a plan document owes a revision within 3 working days."""

    __table_args__ = (UniqueConstraint("request_id", "seq", name="uq_feedback_seq"),)  # numbered by a counter

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    seq: int = 1
    author_id: int = Field(foreign_key="person.id")
    department_id: int | None = None
    text: str
    about_plan: bool = False
    created_at: datetime = _ts(False)
    answer: str = ""
    answered_by: int | None = None
    answered_at: datetime | None = _ts()
    revised_at: datetime | None = _ts()


class Dispute(SQLModel, table=True):
    """R15: liaisons could not agree → both department heads, then the VP decides."""

    __table_args__ = (UniqueConstraint("request_id", "seq", name="uq_dispute_seq"),)  # numbered by a counter

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    seq: int = 1
    raised_by: int = Field(foreign_key="person.id")
    departments: list[int] = _json(list)
    text: str
    state: str = "open"  # open / settled
    escalation_level: int = 1  # 1 heads, 2 VP
    settled_by: int | None = None
    settled_at: datetime | None = _ts()
    decision: str = ""
    raised_at: datetime = _ts(False)


class ArchiveDocument(SQLModel, table=True):
    """R22: the archive of one request — one readable document plus every table as data,
    kept at least `retain_until` (2 years by default)."""

    __tablename__ = "archive_document"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True, unique=True)
    name: str
    markdown: str
    data: dict[str, Any] = _json()
    created_at: datetime = _ts(False)
    updated_at: datetime = _ts(False)
    retain_until: date
