"""The second pass of the guidelines (R28–R36): the risk register (R32) and action items (R31).
R28 receipt lives on the request row (`CollaborationRequest.received`)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


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
    probability: str = "medium"  # high / medium / low
    impact: str = "medium"
    owner_id: int = Field(foreign_key="person.id")
    state: str = Field(default="open", index=True)  # open / raised / closed
    issue_id: int | None = None
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime = _ts(False)
    closed_at: datetime | None = _ts()


class ActionItem(SQLModel, table=True):
    """行动项 (R31): a department's smaller step of a task, with its own owner, date and reminder."""

    __tablename__ = "action_item"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="collab_request.id", index=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    seq: int = 1  # per request
    title: str
    owner_id: int = Field(foreign_key="person.id")
    due_date: date
    state: str = Field(default="open")  # open / done
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime = _ts(False)
    done_at: datetime | None = _ts()
