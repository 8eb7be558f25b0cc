"""The org file (YAML): a workspace, its departments (head, liaison, VP) and its people with
their platform identities. Chat platforms (Slack) have no departments: this is the source.

```yaml
workspace: {platform: local, id: demo, name: 示例公司, locale: zh-CN, timezone: Asia/Shanghai,
            country: CN, settings: {policy: {...}, calendar: {...}}}
departments: [{name: 市场部, head: liu, liaison: chen, vp: zhao}]
people: [{id: liu, name: 刘敏, department: 市场部, email: liu@example.com,
          identities: {slack: U0123}, admin: true}]
```

Everything is checked before anything is written (`problems`): a value that would make every
later event of the workspace fail (a country, zone or policy value) is refused at the door. An
import is a full replacement (`import_org`): whoever the file no longer lists loses their
department, roles and platform ids — their rows stay for the history (audit trail, old cards).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import col, delete, select

from storage.db import UnitOfWork
from storage.tables import Department, Person, PersonIdentity, Workspace
from workflows.org.checks import Loc, problems

PLATFORMS = ("local", "slack", "feishu", "dingtalk")


class OrgError(ValueError):
    """A broken org file: every problem, each naming where it is (line, path) and what is wrong."""

    def __init__(self, found: list[str]) -> None:
        self.problems = found
        super().__init__("\n".join(found))


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkspaceSpec(_Spec):
    platform: str = "local"
    id: str
    name: str = ""
    locale: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    country: str = "CN"
    settings: dict[str, Any] = Field(default_factory=dict)


class DepartmentSpec(_Spec):
    name: str
    head: str | None = None
    liaison: str | None = None
    vp: str | None = None


class PersonSpec(_Spec):
    id: str
    name: str
    department: str | None = None
    email: str | None = None
    identities: dict[str, str] = Field(default_factory=dict)
    admin: bool = False


class OrgSpec(_Spec):
    workspace: WorkspaceSpec
    departments: list[DepartmentSpec] = Field(default_factory=list)
    people: list[PersonSpec] = Field(default_factory=list)

    @property
    def workspace_id(self) -> str:
        return f"{self.workspace.platform}:{self.workspace.id}"


def where(loc: Loc, lines: dict[Loc, int] | None) -> str:
    """`line 12 (people[3].department)`: the nearest line the YAML gives for the path."""
    path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
    for cut in range(len(loc), -1, -1):
        if lines and loc[:cut] in lines:
            return f"line {lines[loc[:cut]]} ({path})" if path else f"line {lines[loc[:cut]]}"
    return path or "the file"


# what a platform's adapter adds to a file of its workspace before it is checked (e.g. user ids
# it derives from the org's own keys): the core knows no platform's conventions
Complete = Callable[["OrgSpec"], "OrgSpec"]


def parse_org(data: Any, *, lines: dict[Loc, int] | None = None, complete: Complete | None = None) -> OrgSpec:
    """Validate a loaded org document; OrgError lists every problem found, with its line.
    `complete` (the platform adapter's) runs before the checks, so what it adds is checked too."""
    try:
        spec = OrgSpec.model_validate(data)
    except ValidationError as exc:
        raise OrgError([f"{where(tuple(e['loc']), lines)}: {e['msg']}" for e in exc.errors()]) from None
    if complete is not None:
        spec = complete(spec)
    found = problems(spec, platforms=PLATFORMS)
    if found:
        raise OrgError([f"{where(loc, lines)}: {message}" for loc, message in found])
    return spec


# --- what the database holds, and what the file wants ------------------------------------


def _identity(spec: OrgSpec, person: PersonSpec) -> str | None:
    return person.identities.get(spec.workspace.platform) or None


def wanted(spec: OrgSpec) -> dict[str, Any]:
    """The org the file describes, in the shape `OrgDiff` compares."""
    ws = spec.workspace
    return {
        "workspace": {"name": ws.name, "locale": ws.locale, "timezone": ws.timezone,
                      "country": ws.country, "settings": ws.settings},
        "departments": {d.name: {"head": d.head, "liaison": d.liaison, "vp": d.vp} for d in spec.departments},
        "people": {p.id: {"name": p.name, "department": p.department, "email": p.email, "admin": p.admin,
                          "identity": _identity(spec, p)} for p in spec.people},
    }


async def current(uow: UnitOfWork, workspace_id: str) -> dict[str, Any] | None:
    """The org the database holds (active rows only), in the shape of `wanted`."""
    ws = await uow.get(Workspace, workspace_id)
    if ws is None:
        return None
    depts = await uow.all(select(Department).where(Department.workspace_id == workspace_id))
    people = await uow.all(select(Person).where(Person.workspace_id == workspace_id))
    links = await uow.all(select(PersonIdentity).where(PersonIdentity.workspace_id == workspace_id))
    key = {p.id: p.key for p in people}
    dept_name = {d.id: d.name for d in depts}
    identity = {i.person_id: i.external_id for i in links}
    return {
        "workspace": {"name": ws.name, "locale": ws.locale, "timezone": ws.timezone,
                      "country": ws.country, "settings": ws.settings},
        "departments": {d.name: {"head": key.get(d.head_id), "liaison": key.get(d.liaison_id),
                                 "vp": key.get(d.vp_id)} for d in depts if d.active},
        "people": {p.key: {"name": p.name, "department": dept_name.get(p.department_id), "email": p.email,
                           "admin": p.is_admin, "identity": identity.get(p.id)} for p in people if p.active},
    }


@dataclass
class OrgDiff:
    """What an import changes, readable by the operator who runs it."""

    workspace_id: str
    created: bool = False
    lines: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.created or bool(self.lines)

    def summary(self) -> str:
        if not self.changed:
            return f"{self.workspace_id}: no changes"
        head = f"{self.workspace_id}: new workspace" if self.created else f"{self.workspace_id}: changes"
        return "\n".join([head, *(f"  {line}" for line in self.lines)])


def _fields(before: dict[str, Any], after: dict[str, Any]) -> str:
    return ", ".join(f"{k} {before.get(k)!r} → {after.get(k)!r}"
                     for k in after if before.get(k) != after.get(k) and not (k == "identity" and after[k] is None))


def diff(workspace_id: str, before: dict[str, Any] | None, after: dict[str, Any]) -> OrgDiff:
    """Pure: the changes from `before` (None: no workspace yet) to `after`."""
    out = OrgDiff(workspace_id=workspace_id, created=before is None)
    if before is None:
        out.lines.append(f"+ {len(after['departments'])} departments, {len(after['people'])} people")
        return out
    if changed := _fields(before["workspace"], after["workspace"]):
        out.lines.append(f"~ workspace: {changed}")
    for kind in ("departments", "people"):
        noun = "department" if kind == "departments" else "person"
        old, new = before[kind], after[kind]
        out.lines += [f"+ {noun} {k}" for k in new if k not in old]
        out.lines += [f"- {noun} {k} (loses {'its roles' if noun == 'department' else 'department, roles and platform id'})"
                      for k in old if k not in new]
        out.lines += [f"~ {noun} {k}: {c}" for k in new if k in old and (c := _fields(old[k], new[k]))]
    return out


# --- the import ------------------------------------------------------------------------


@dataclass
class OrgImport:
    workspace: Workspace
    diff: OrgDiff
    skipped: bool = False  # the same file (by hash) was imported last time


async def import_org(uow: UnitOfWork, spec: OrgSpec, *, digest: str = "", dry_run: bool = False) -> OrgImport:
    """Replace the workspace's org with the file's, in bulk, bumping `org_version` once.
    `dry_run` only computes the diff. `digest` (the file's hash) is stored for start-up skips."""
    ws_id = spec.workspace_id
    changes = diff(ws_id, await current(uow, ws_id), wanted(spec))
    ws = await uow.get(Workspace, ws_id)
    if ws is None:
        ws = Workspace(id=ws_id, platform=spec.workspace.platform, external_id=spec.workspace.id)
    if dry_run:
        return OrgImport(workspace=ws, diff=changes)
    for attr in ("name", "locale", "timezone", "country", "settings"):
        setattr(ws, attr, getattr(spec.workspace, attr))
    ws.org_version += 1
    ws.org_hash = digest
    uow.add(ws)
    await uow.flush()
    depts = await _departments(uow, spec)
    people = await _people(uow, spec, depts)
    for d in spec.departments:
        row = depts[d.name]
        row.head_id, row.liaison_id, row.vp_id = (people[x].id if x else None for x in (d.head, d.liaison, d.vp))
    await _identities(uow, spec, people)
    await uow.flush()
    return OrgImport(workspace=ws, diff=changes)


async def _departments(uow: UnitOfWork, spec: OrgSpec) -> dict[str, Department]:
    rows = {d.name: d for d in await uow.all(select(Department).where(Department.workspace_id == spec.workspace_id))}
    listed = {d.name for d in spec.departments}
    for name, row in rows.items():
        if name not in listed:  # kept for the history, out of every role and every choice
            row.active, row.head_id, row.liaison_id, row.vp_id = False, None, None, None
    for d in spec.departments:
        row = rows.setdefault(d.name, Department(workspace_id=spec.workspace_id, name=d.name))
        row.active = True
        uow.add(row)
    await uow.flush()
    return rows


async def _people(uow: UnitOfWork, spec: OrgSpec, depts: dict[str, Department]) -> dict[str, Person]:
    rows = {p.key: p for p in await uow.all(select(Person).where(Person.workspace_id == spec.workspace_id))}
    listed = {p.id for p in spec.people}
    for key, row in rows.items():
        if key not in listed:
            row.active, row.department_id, row.is_admin = False, None, False
    for p in spec.people:
        row = rows.setdefault(p.id, Person(workspace_id=spec.workspace_id, key=p.id, name=p.name))
        row.name, row.email, row.is_admin, row.active = p.name, p.email, p.admin, True
        row.department_id = depts[p.department].id if p.department else None
        uow.add(row)
    await uow.flush()
    return rows


async def _identities(uow: UnitOfWork, spec: OrgSpec, people: dict[str, Person]) -> None:
    """Removed people lose every platform id; a listed id moves to its person; ids linked by
    email (Slack) stay with people the file keeps but gives no id."""
    ws_id = spec.workspace_id
    gone = [row.id for row in people.values() if not row.active]
    if gone:
        await uow.execute(delete(PersonIdentity).where(PersonIdentity.workspace_id == ws_id,
                                                       col(PersonIdentity.person_id).in_(gone)))
    links = {i.external_id: i for i in await uow.all(select(PersonIdentity).where(
        PersonIdentity.workspace_id == ws_id)) if i.person_id not in gone}
    mine = {external: people[p.id].id for p in spec.people if (external := _identity(spec, p))}
    for link in links.values():
        if link.external_id not in mine and link.person_id in mine.values():
            await uow.session.delete(link)  # the file gives this person another id now
    for external, person_id in mine.items():
        link = links.get(external)
        if link is None:
            uow.add(PersonIdentity(workspace_id=ws_id, person_id=person_id, external_id=external))
        elif link.person_id != person_id:
            link.person_id = person_id
            uow.add(link)


async def _link(uow: UnitOfWork, ws_id: str, person_id: int, external_id: str) -> None:
    await uow.execute(Workspace.__table__.update().where(  # type: ignore[attr-defined]
        Workspace.__table__.c.id == ws_id).values(org_version=Workspace.__table__.c.org_version + 1))  # type: ignore[attr-defined]
    existing = await uow.first(select(PersonIdentity).where(
        PersonIdentity.workspace_id == ws_id, PersonIdentity.external_id == external_id))
    if existing is None:
        uow.add(PersonIdentity(workspace_id=ws_id, person_id=person_id, external_id=external_id))
    else:
        existing.person_id = person_id


async def link_by_email(uow: UnitOfWork, *, workspace_id: str, external_id: str,
                        email: str) -> Person | None:
    """Slack-style mapping: a platform user whose email matches a person of the org (one the
    org file still lists — a removed person is not linked back in)."""
    wanted_email = email.strip().lower()
    people = await uow.all(select(Person).where(Person.workspace_id == workspace_id, col(Person.active).is_(True)))
    person = next((p for p in people if (p.email or "").lower() == wanted_email), None)
    if person is not None:
        await _link(uow, workspace_id, person.id, external_id)
    return person


def export_org(workspace: Workspace, depts: list[Department], people: list[Person]) -> dict[str, Any]:
    """The shape `GET /local/org` answers (and a readable dump of the org)."""
    people = [p for p in people if p.active]
    by_id = {p.id: p for p in people}
    key = lambda pid: by_id[pid].key if pid in by_id else None  # noqa: E731
    dept_name = {d.id: d.name for d in depts}
    return {
        "workspace": {"id": workspace.external_id, "platform": workspace.platform,
                      "locale": workspace.locale, "timezone": workspace.timezone},
        "departments": [{"name": d.name, "head": key(d.head_id), "liaison": key(d.liaison_id),
                         "vp": key(d.vp_id),
                         "members": [p.key for p in people if p.department_id == d.id]}
                        for d in depts if d.active],
        "people": [{"id": p.key, "name": p.name, "department": dept_name.get(p.department_id)}
                   for p in people],
    }
