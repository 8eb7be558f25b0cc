"""Everything one event's handling needs, gathered once: the transaction, the workspace, its
policy, calendar and language, the acting person and the time."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from sqlmodel import select

from storage.db import UnitOfWork
from storage.tables import Department, Person, PersonIdentity, Workspace
from workflows.calendar import WorkCalendar, calendar_from_settings
from workflows.cards import Card
from workflows.i18n import Translate, translator
from workflows.policy import Policy, policy_for


@dataclass(frozen=True)
class Org:
    """The workspace's departments, people and platform ids at one `org_version` — read once,
    shared by every event until the org changes (authorisation reads it on every click)."""

    version: int
    depts: dict[int, Department]
    people: dict[int, Person]
    identity: dict[int, str]  # person id → platform user id
    by_external: dict[str, int]  # platform user id → person id


async def load_org(uow: UnitOfWork, workspace: Workspace) -> Org:
    ws = workspace.id
    depts = {d.id: d for d in await uow.all(select(Department).where(Department.workspace_id == ws))}
    people = {p.id: p for p in await uow.all(select(Person).where(Person.workspace_id == ws))}
    links = await uow.all(select(PersonIdentity).where(PersonIdentity.workspace_id == ws))
    for row in [*depts.values(), *people.values(), *links]:
        uow.session.expunge(row)  # a plain snapshot: a later rollback must not expire it
    return Org(version=workspace.org_version, depts=depts, people=people,
               identity={i.person_id: i.external_id for i in links},
               by_external={i.external_id: i.person_id for i in links})


@dataclass(frozen=True)
class Links:
    """The deployment's board: base URL, signing secret and a link's lifetime (R22, R37)."""

    base_url: str
    secret: str
    ttl: timedelta


@dataclass
class Ctx:
    uow: UnitOfWork
    workspace: Workspace
    now: datetime
    actor: Person | None = None
    conversation: str = ""
    clicked_key: str = ""  # the card that was clicked: its new state goes back inline
    reply_card: Card | None = None
    exports: list[Any] = field(default_factory=list)  # archive documents to write after commit
    org: Org | None = None
    links: "Links | None" = None  # where personal board links point (`serve` with a secret)
    request_id: int | None = None  # the request this event reached (set by the guard): a refusal names it

    def __post_init__(self) -> None:
        self.policy: Policy = policy_for(self.workspace.settings)
        self.calendar: WorkCalendar = calendar_from_settings(
            country=self.workspace.country, tz=self.workspace.timezone,
            settings=self.workspace.settings)
        self.t: Translate = translator(self.workspace.locale)

    @property
    def today(self) -> date:
        return self.calendar.local_date(self.now)

    @property
    def platform(self) -> str:
        return self.workspace.platform

    def local_text(self, when: datetime | None) -> str:
        """A time as people of this workspace read it."""
        if when is None:
            return "—"
        return self.calendar.local(when).strftime("%Y-%m-%d %H:%M")

    async def load_org(self) -> None:
        if self.org is None or self.org.version != self.workspace.org_version:
            self.org = await load_org(self.uow, self.workspace)

    @property
    def _depts(self) -> dict[int, Department]:
        return self.org.depts if self.org else {}

    @property
    def _people(self) -> dict[int, Person]:
        return self.org.people if self.org else {}

    @property
    def _identity(self) -> dict[int, str]:
        return self.org.identity if self.org else {}

    def dept(self, dept_id: int | None) -> Department | None:
        return self._depts.get(dept_id) if dept_id is not None else None

    def person(self, person_id: int | None) -> Person | None:
        return self._people.get(person_id) if person_id is not None else None

    def dept_name(self, dept_id: int | None) -> str:
        d = self.dept(dept_id)
        return d.name if d else "—"

    def person_name(self, person_id: int | None) -> str:
        p = self.person(person_id)
        return p.name if p else "—"

    def dept_by_name(self, name: str) -> Department | None:
        key = name.strip().lower()
        return next((d for d in self._depts.values() if d.active and d.name.lower() == key), None)

    def person_by_name(self, name: str) -> Person | None:
        """By name, org key, or platform user id (a Slack mention arrives as `@U0123ABCD`)."""
        key = name.strip().lstrip("@").lower()
        found = next((p for p in self._people.values()
                      if p.active and (p.name.lower() == key or p.key.lower() == key)), None)
        if found is None:
            found = next((self._people.get(pid) for pid, external in self._identity.items()
                          if external.lower() == key), None)
        return found

    def departments(self) -> list[Department]:
        return sorted((d for d in self._depts.values() if d.active), key=lambda d: d.id or 0)

    def members(self, dept_id: int) -> list[Person]:
        return [p for p in self._people.values() if p.department_id == dept_id]

    def platform_user(self, person_id: int | None) -> str:
        """The person's user id on this workspace's platform (DMs, mentions, `allowed`); "" when
        they have none there yet (the org import links what it knows)."""
        return self._identity.get(person_id, "") if person_id is not None else ""

    def join(self, items: Iterable[str]) -> str:
        """A list as this workspace's language writes it (技术部、设计部 / Tech, Design)."""
        return self.t("list.sep").join(items)

    def join_items(self, items: Iterable[str]) -> str:
        return self.t("list.items_sep").join(items)

    def settings_value(self, key: str, default: Any = None) -> Any:
        return (self.workspace.settings or {}).get(key, default)
