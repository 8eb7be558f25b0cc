"""A read-only context for a web page: the workspace, its org, its language and the clock's now —
the same `Ctx` the workflows use, so names, dates and zones read the same as in the chat."""
from __future__ import annotations

from datetime import datetime

from storage.db import UnitOfWork
from storage.tables import Person, Workspace
from workflows.kernel.context import Ctx


async def board_context(uow: UnitOfWork, *, workspace_id: str, now: datetime) -> Ctx | None:
    ws = await uow.get(Workspace, workspace_id)
    if ws is None:
        return None
    ctx = Ctx(uow=uow, workspace=ws, now=now)
    await ctx.load_org()
    return ctx


def person_by_key(ctx: Ctx, key: str) -> Person | None:
    """The person a link names, if they are still in the org (removed people see nothing)."""
    people = ctx.org.people.values() if ctx.org else []
    return next((p for p in people if p.key == key), None)
