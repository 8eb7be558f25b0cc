"""R25: who may press what, decided from the org model (DESIGN rule 6) — pure functions over
the org and the request, so every button's `allowed` list and every click check agree."""
from __future__ import annotations

from storage.tables import CollaborationRequest, Issue, Task
from workflows.kernel.context import Ctx


def heads(ctx: Ctx, dept_ids: list[int]) -> list[int]:
    out = []
    for d in dept_ids:
        dept = ctx.dept(d)
        if dept and dept.head_id and dept.head_id not in out:
            out.append(dept.head_id)
    return out


def involved_departments(request: CollaborationRequest, tasks: list[Task]) -> list[int]:
    """The initiating department, the collaborating ones and every department a task names."""
    seen: list[int] = []
    ids = [request.initiating_department_id, *request.collaborating]
    for t in tasks:
        ids += [t.lead_department_id, *( [t.accountable_department_id] if t.accountable_department_id else []),
                *t.consulted, *t.informed, *t.supporting]
    for d in ids:
        if d not in seen:
            seen.append(d)
    return seen


def may_review(ctx: Ctx, request: CollaborationRequest) -> list[int]:
    """R4: the initiating department's head approves or rejects."""
    return heads(ctx, [request.initiating_department_id])


def may_confirm_for(ctx: Ctx, dept_id: int) -> list[int]:
    """R6/R17/R21: only that department's head signs for it."""
    return heads(ctx, [dept_id])


def may_receive_for(ctx: Ctx, request: CollaborationRequest, dept_id: int) -> list[int]:
    """R28: that department's head, its liaison, or the request's contact person for it."""
    dept = ctx.dept(dept_id)
    return _unique([dept.head_id if dept else None, dept.liaison_id if dept else None,
                    contact_person(request, dept_id)])


def contact_person(request: CollaborationRequest, dept_id: int) -> int | None:
    """The request's 接口人 for a department (R1: stored with their 联系方式)."""
    contact = (request.contacts or {}).get(str(dept_id))
    return contact.get("person") if isinstance(contact, dict) else contact


def may_manage_risk(ctx: Ctx, request: CollaborationRequest, owner_id: int | None) -> list[int]:
    """R32: the initiating side, the risk's owner, and the heads of the departments involved."""
    return _unique([*may_manage(ctx, request), owner_id, *heads(ctx, [request.initiating_department_id,
                                                                        *request.collaborating])])


def vps(ctx: Ctx, dept_ids: list[int]) -> list[int]:
    """The supervising VPs (分管副总) of some departments: R33 resource approval."""
    return _unique([dept.vp_id for d in dept_ids if (dept := ctx.dept(d))])


def may_accept(ctx: Ctx, request: CollaborationRequest) -> list[int]:
    """R20: the initiating department records the verdict — its head, or the initiator."""
    return _unique(heads(ctx, [request.initiating_department_id]) + [request.initiator_id])


def may_acknowledge(ctx: Ctx, issue: Issue) -> list[int]:
    """R25: an acknowledgement belongs to the responsible department (its people and owner)."""
    people = [p.id for p in ctx.members(issue.responsible_department_id)]
    dept = ctx.dept(issue.responsible_department_id)
    extra = [x for x in (issue.owner_id, dept.head_id if dept else None, dept.liaison_id if dept else None) if x]
    return _unique([*people, *extra])


def may_update_task(ctx: Ctx, task: Task) -> list[int]:
    """R9/R10: the task's owner, or the head of its lead department."""
    return _unique([task.owner_id, *heads(ctx, [task.lead_department_id])])


def may_propose_change(ctx: Ctx, request: CollaborationRequest) -> list[int]:
    """R17: the initiating department's head or its liaison (接口人) proposes plan changes."""
    dept = ctx.dept(request.initiating_department_id)
    return _unique([*heads(ctx, [request.initiating_department_id]), dept.liaison_id if dept else None])


def may_manage(ctx: Ctx, request: CollaborationRequest) -> list[int]:
    """Cancel, archive, propose changes: the initiator and the initiating head."""
    return _unique([request.initiator_id, *heads(ctx, [request.initiating_department_id])])


def _unique(ids: list[int | None]) -> list[int]:
    out: list[int] = []
    for i in ids:
        if i is not None and i not in out:
            out.append(i)
    return out
