"""The org model: workspaces, departments and people. Authorisation (R25) is read from here."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import JSONType


class Workspace(SQLModel, table=True):
    """One tenant: a platform plus that platform's workspace/tenant id (e.g. `local:demo`)."""

    id: str = Field(primary_key=True)
    platform: str
    external_id: str
    name: str = ""
    locale: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    country: str = "CN"
    # per-workspace policy overrides (numbers of SPEC), calendar overrides, number pattern …
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    # bumped by every org change (import, identity link): replicas cache the org per version
    org_version: int = 0
    # sha256 of the org file last imported: an unchanged `ORG_FILE` is skipped at start-up
    org_hash: str = ""


class Department(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspace.id", index=True)
    name: str
    # person.id values; set after the people exist (org import does both in one transaction)
    head_id: int | None = None
    liaison_id: int | None = None
    vp_id: int | None = None
    # False once the org file no longer lists it: kept for the history, out of every choice
    active: bool = True


class Person(SQLModel, table=True):
    """A person of the org; `id` is the org file's key (stable across platforms)."""

    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspace.id", index=True)
    key: str
    name: str
    department_id: int | None = Field(default=None, foreign_key="department.id")
    email: str | None = None
    is_admin: bool = False
    # False once the org file no longer lists them: no department, roles or platform ids; the
    # row stays so the audit trail and old cards keep their name
    active: bool = True


class PersonIdentity(SQLModel, table=True):
    """A person's user id on one platform (Slack `U…`, Feishu `ou_…`, DingTalk staff id)."""

    __tablename__ = "person_identity"

    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspace.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    external_id: str
