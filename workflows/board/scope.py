"""Who may see which request on the board (R25): admins and VPs see everything; everyone else
sees the requests one of their departments is involved in."""
from __future__ import annotations

from dataclasses import dataclass

from storage.tables import CollaborationRequest, Person, Task
from workflows.kernel.authz import involved_departments
from workflows.kernel.context import Ctx


@dataclass(frozen=True)
class Viewer:
    person_key: str  # "" for the demo's open board
    name: str
    departments: frozenset[int]
    sees_all: bool


def everyone() -> Viewer:
    """The demo's board needs no link: it shows the whole (sample) workspace."""
    return Viewer(person_key="", name="", departments=frozenset(), sees_all=True)


def viewer_for(ctx: Ctx, person: Person) -> Viewer:
    """A person's own department plus those they head, liaise for or supervise."""
    depts = {person.department_id} if person.department_id else set()
    is_vp = False
    for d in ctx.departments():
        if person.id in (d.head_id, d.liaison_id):
            depts.add(d.id)  # type: ignore[arg-type]
        if d.vp_id == person.id:
            is_vp = True
    return Viewer(person_key=person.key, name=person.name, departments=frozenset(depts),
                  sees_all=bool(person.is_admin or is_vp))


def may_see(viewer: Viewer, request: CollaborationRequest, tasks: list[Task]) -> bool:
    return viewer.sees_all or bool(viewer.departments & set(involved_departments(request, tasks)))


def may_see_department(viewer: Viewer, dept_id: int) -> bool:
    return viewer.sees_all or dept_id in viewer.departments
