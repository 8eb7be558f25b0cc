"""The org file (YAML): a workspace, its departments (head, liaison, VP) and its people with
their platform identities. Chat platforms (Slack) have no departments: this is the source.

```yaml
workspace: {platform: local, id: demo, name: 示例公司, locale: zh-CN, timezone: Asia/Shanghai,
            country: CN, settings: {policy: {...}, calendar: {...}}}
departments: [{name: 市场部, head: liu, liaison: chen, vp: zhao}]
people: [{id: liu, name: 刘敏, department: 市场部, email: liu@example.com,
          identities: {slack: U0123}, admin: true}]
```
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator
from sqlalchemy import update
from sqlmodel import col, select

from storage.db import UnitOfWork
from storage.tables import Department, Person, PersonIdentity, Workspace


class OrgError(ValueError):
    """A broken org file: the message names what is wrong."""


class WorkspaceSpec(BaseModel):
    platform: str = "local"
    id: str
    name: str = ""
    locale: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    country: str = "CN"
    settings: dict[str, Any] = Field(default_factory=dict)


class DepartmentSpec(BaseModel):
    name: str
    head: str | None = None
    liaison: str | None = None
    vp: str | None = None


class PersonSpec(BaseModel):
    id: str
    name: str
    department: str | None = None
    email: str | None = None
    identities: dict[str, str] = Field(default_factory=dict)
    admin: bool = False


class OrgSpec(BaseModel):
    workspace: WorkspaceSpec
    departments: list[DepartmentSpec]
    people: list[PersonSpec]

    @model_validator(mode="after")
    def _references(self) -> "OrgSpec":
        keys = {p.id for p in self.people}
        names = {d.name for d in self.departments}
        for d in self.departments:
            for role in ("head", "liaison", "vp"):
                who = getattr(d, role)
                if who and who not in keys:
                    raise ValueError(f"department {d.name}: {role} '{who}' is not among people")
        for p in self.people:
            if p.department and p.department not in names:
                raise ValueError(f"person {p.id}: department '{p.department}' is not defined")
        return self


def parse_org(data: Any) -> OrgSpec:
    try:
        return OrgSpec.model_validate(data)
    except ValidationError as exc:
        raise OrgError(str(exc)) from exc


async def import_org(uow: UnitOfWork, spec: OrgSpec) -> Workspace:
    """Create or update the workspace, its departments and people (idempotent by name/key)."""
    ws_id = f"{spec.workspace.platform}:{spec.workspace.id}"
    ws = await uow.get(Workspace, ws_id)
    if ws is None:
        ws = Workspace(id=ws_id, platform=spec.workspace.platform, external_id=spec.workspace.id)
    for attr in ("name", "locale", "timezone", "country", "settings"):
        setattr(ws, attr, getattr(spec.workspace, attr))
    ws.org_version += 1
    uow.add(ws)
    await uow.flush()

    depts: dict[str, Department] = {
        d.name: d for d in await uow.all(select(Department).where(Department.workspace_id == ws_id))}
    for d in spec.departments:
        depts.setdefault(d.name, Department(workspace_id=ws_id, name=d.name))
        uow.add(depts[d.name])
    await uow.flush()

    people: dict[str, Person] = {
        p.key: p for p in await uow.all(select(Person).where(Person.workspace_id == ws_id))}
    for p in spec.people:
        row = people.setdefault(p.id, Person(workspace_id=ws_id, key=p.id, name=p.name))
        row.name, row.email, row.is_admin = p.name, p.email, p.admin
        row.department_id = depts[p.department].id if p.department else None
        uow.add(row)
    await uow.flush()

    for d in spec.departments:
        row = depts[d.name]
        row.head_id = people[d.head].id if d.head else None
        row.liaison_id = people[d.liaison].id if d.liaison else None
        row.vp_id = people[d.vp].id if d.vp else None
    for p in spec.people:
        external = p.identities.get(spec.workspace.platform) or (
            p.id if spec.workspace.platform == "local" else None)
        if external:
            await _link(uow, ws_id, people[p.id].id, external)
    await uow.flush()
    return ws


async def _link(uow: UnitOfWork, ws_id: str, person_id: int, external_id: str) -> None:
    await uow.session.exec(update(Workspace).where(col(Workspace.id) == ws_id)  # type: ignore[call-overload]
                           .values(org_version=Workspace.org_version + 1))
    existing = await uow.first(select(PersonIdentity).where(
        PersonIdentity.workspace_id == ws_id, PersonIdentity.external_id == external_id))
    if existing is None:
        uow.add(PersonIdentity(workspace_id=ws_id, person_id=person_id, external_id=external_id))
    else:
        existing.person_id = person_id


async def link_by_email(uow: UnitOfWork, *, workspace_id: str, external_id: str,
                        email: str) -> Person | None:
    """Slack-style mapping: a platform user whose email matches a person of the org."""
    wanted = email.strip().lower()
    people = await uow.all(select(Person).where(Person.workspace_id == workspace_id))
    person = next((p for p in people if (p.email or "").lower() == wanted), None)
    if person is not None:
        await _link(uow, workspace_id, person.id, external_id)
    return person


def export_org(workspace: Workspace, depts: list[Department], people: list[Person]) -> dict[str, Any]:
    """The shape `GET /local/org` answers (and a readable dump of the org)."""
    by_id = {p.id: p for p in people}
    key = lambda pid: by_id[pid].key if pid in by_id else None  # noqa: E731
    dept_name = {d.id: d.name for d in depts}
    return {
        "workspace": {"id": workspace.external_id, "platform": workspace.platform,
                      "locale": workspace.locale, "timezone": workspace.timezone},
        "departments": [{"name": d.name, "head": key(d.head_id), "liaison": key(d.liaison_id),
                         "vp": key(d.vp_id),
                         "members": [p.key for p in people if p.department_id == d.id]}
                        for d in depts],
        "people": [{"id": p.key, "name": p.name, "department": dept_name.get(p.department_id)}
                   for p in people],
    }
