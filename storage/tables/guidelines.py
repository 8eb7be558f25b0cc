"""The second pass of the guidelines (R28–R36): meetings and minutes (R29), the collaboration
memo (R30), action items (R31), the risk register (R32), resources (R33) and the acceptance panel's votes (R35).
R28 receipt lives on the request row (`CollaborationRequest.received`)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import JSONType, UTCDateTime


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class Risk(SQLModel, table=True):
    """风险应对与沟通机制表 (R32): one row per risk. A met trigger raises an issue (`issue_id`)."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    seq: int = 1
    description: str
    department_id: int = Field(foreign_key="department.id")
    countermeasure: str = ""
    trigger: str = ""  # the condition as written
    trigger_date: date | None = None  # a date trigger: the bot raises the issue that morning
    trigger_task_id: int | None = Field(default=None, foreign_key="task.id")  # "#1 延期": that task going 延期
    trigger_issue_id: int | None = Field(default=None, foreign_key="issue.id")  # "问题#2": unresolved at its 解决时限
    builtin: str = Field(default="", sa_column_kwargs={"server_default": ""})  # "late": R11, entered by the bot
    probability: str = "medium"  # high / medium / low
    impact: str = "medium"
    owner_id: int = Field(foreign_key="person.id")
    state: str = Field(default="open", index=True)  # open / raised / closed
    issue_id: int | None = None
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime = _ts(False)
    closed_at: datetime | None = _ts()


class Meeting(SQLModel, table=True):
    """启动会 / 周会 (R29): when, where (a room or a link), who; then its minutes — decisions, and
    action items that become tracked `ActionItem` rows."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    seq: int = 1
    kind: str = "kickoff"  # kickoff / weekly / huddle (R36, about `issue_id`)
    issue_id: int | None = Field(default=None, foreign_key="issue.id")
    starts_at: datetime | None = _ts()
    place: str = ""
    attendees: list[int] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    first_sync: date | None = None  # the kick-off's first sync date
    decisions: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    minutes_by: int | None = None
    minutes_at: datetime | None = _ts()
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime = _ts(False)


class Memo(SQLModel, table=True):
    """协作备忘录 (R30): issued once every head confirmed the split (R6); each head signs it
    (a `Confirmation` of kind `memo`). `clause` is the agreed handling of a missed commitment."""

    __table_args__ = (UniqueConstraint("request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    clause: str = ""  # 违约处理
    issued_at: datetime = _ts(False)
    signed_at: datetime | None = _ts()  # the last signature


class ResourceLine(SQLModel, table=True):
    """资源需求表 (R33): what one department needs for the request — or declares available — in
    people, person-days, budget and tools. One row per (request, department, kind); a new
    declaration replaces the old."""

    __tablename__ = "resource_line"
    __table_args__ = (UniqueConstraint("request_id", "department_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    kind: str = "need"  # need / available
    people: int = 0
    days: float = 0
    budget: float = 0
    tools: str = ""
    declared_by: int = Field(foreign_key="person.id")
    declared_at: datetime = _ts(False)


class Vote(SQLModel, table=True):
    """联合验收 (R35): one collaborating department's pass/fail on one delivery, with its reason."""

    __table_args__ = (UniqueConstraint("delivery_id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    delivery_id: int = Field(foreign_key="delivery.id")
    department_id: int = Field(foreign_key="department.id")
    person_id: int = Field(foreign_key="person.id")
    verdict: str  # pass / fail
    reason: str = ""
    voted_at: datetime = _ts(False)


class ActionItem(SQLModel, table=True):
    """行动项 (R31): a department's smaller step of a task, with its own owner, date and reminder."""

    __tablename__ = "action_item"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")  # from minutes (R29)
    seq: int = 1  # per request
    title: str
    owner_id: int = Field(foreign_key="person.id")
    due_date: date
    state: str = Field(default="open")  # open / done
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime = _ts(False)
    done_at: datetime | None = _ts()
