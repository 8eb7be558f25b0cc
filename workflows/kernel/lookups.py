"""Lookups the workflows share; every 'not found' is a UserError naming what was asked for."""
from __future__ import annotations

import re

from sqlmodel import col, select

from storage.tables import CollaborationRequest, Confirmation, Issue, Task
from workflows.kernel.context import Ctx
from workflows.errors import UserError


async def request_by_number(ctx: Ctx, number: str | None, *, lock: bool = False) -> CollaborationRequest:
    if not number:
        raise UserError("error.missing_number")
    wanted = number.strip().upper()
    padded = re.sub(r"(\d+)$", lambda m: m.group(1).zfill(3), wanted)  # XT-2026-1 → XT-2026-001
    rows = await ctx.uow.all(select(CollaborationRequest).where(
        CollaborationRequest.workspace_id == ctx.workspace.id,
        col(CollaborationRequest.number).in_({wanted, padded})))
    row = next((r for r in rows if r.number == wanted), rows[0] if rows else None)
    if row is None:
        raise UserError("error.unknown_request", number=number)
    return (await ctx.uow.lock(CollaborationRequest, row.id)) if lock else row


async def request_by_id(ctx: Ctx, request_id: int, *, lock: bool = False) -> CollaborationRequest:
    row = await (ctx.uow.lock if lock else ctx.uow.get)(CollaborationRequest, int(request_id))
    if row is None or row.workspace_id != ctx.workspace.id:
        raise UserError("error.unknown_request", number=f"#{request_id}")
    return row


async def tasks_of(ctx: Ctx, request_id: int) -> list[Task]:
    return await ctx.uow.all(select(Task).where(Task.request_id == request_id).order_by(col(Task.seq)))


async def task_by_seq(ctx: Ctx, request: CollaborationRequest, seq: int | None) -> Task:
    tasks = await tasks_of(ctx, request.id)
    if seq is None:
        mine = [t for t in tasks if ctx.actor and t.owner_id == ctx.actor.id]
        if len(mine) == 1:
            return mine[0]
        raise UserError("error.which_task", number=request.number)
    for t in tasks:
        if t.seq == seq:
            return t
    raise UserError("error.unknown_task", number=request.number, seq=seq)


async def issue_by_seq(ctx: Ctx, request: CollaborationRequest, seq: int | None) -> Issue:
    if seq is None:
        raise UserError("error.which_issue", number=request.number)
    row = await ctx.uow.first(select(Issue).where(Issue.request_id == request.id, Issue.seq == seq))
    if row is None:
        raise UserError("error.unknown_issue", number=request.number, seq=seq)
    return row


async def confirmations(ctx: Ctx, request_id: int, kind: str, subject_id: int = 0) -> list[Confirmation]:
    return await ctx.uow.all(select(Confirmation).where(
        Confirmation.request_id == request_id, Confirmation.kind == kind,
        Confirmation.subject_id == subject_id))


async def next_seq(ctx: Ctx, model: type, request_id: int) -> int:
    rows = await ctx.uow.all(select(model.seq).where(model.request_id == request_id))
    return max(rows, default=0) + 1


def dept_ids(ctx: Ctx, names: list[str], *, field: str) -> list[int]:
    out = []
    for name in names:
        dept = ctx.dept_by_name(name)
        if dept is None:
            raise UserError("error.unknown_department", field=field, name=name,
                            known=ctx.join(d.name for d in ctx.departments()))
        if dept.id not in out:
            out.append(dept.id)
    return out


def person_id(ctx: Ctx, name: str, *, field: str) -> int:
    person = ctx.person_by_name(name)
    if person is None:
        raise UserError("error.unknown_person", field=field, name=name)
    return person.id
