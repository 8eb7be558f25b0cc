"""Time lives in rows (DESIGN rule 4): every deadline SPEC names is a `timer` row written in the
transaction that gives birth to it, cancelled or moved when the state changes. The scheduler's
sweep fires due rows through `fire()`; handlers register themselves by kind."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Awaitable, Callable, Iterable

from sqlalchemy import update
from sqlmodel import col

from storage.db import UnitOfWork
from storage.tables import Timer

Handler = Callable[[Any, Timer], Awaitable[None]]  # (ctx, timer)
HANDLERS: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn
    return register


def schedule(uow: UnitOfWork, *, workspace_id: str, kind: str, subject: str, due_at: datetime,
             now: datetime, payload: dict[str, Any] | None = None,
             request_id: int | None = None) -> Timer:
    timer = Timer(workspace_id=workspace_id, kind=kind, subject=subject, due_at=due_at,
                  request_id=request_id, payload=payload or {}, created_at=now)
    uow.add(timer)
    return timer


async def cancel(uow: UnitOfWork, *, subject: str | None = None, kinds: Iterable[str] | None = None,
                 request_id: int | None = None) -> int:
    """Cancel pending timers of a subject (optionally only some kinds), or of a whole request."""
    stmt = update(Timer).where(col(Timer.state) == "pending")
    if subject is not None:
        stmt = stmt.where(col(Timer.subject) == subject)
    if request_id is not None:
        stmt = stmt.where(col(Timer.request_id) == request_id)
    if subject is None and request_id is None:
        raise ValueError("cancel needs a subject or a request")
    if kinds is not None:
        stmt = stmt.where(col(Timer.kind).in_(list(kinds)))
    await uow.flush()
    result = await uow.session.exec(stmt.values(state="cancelled"))  # type: ignore[call-overload]
    return result.rowcount or 0


def set_timer(ctx: Any, *, kind: str, subject: str, due_at: datetime, request_id: int | None,
              **payload: Any) -> Timer | None:
    """Schedule from a workflow context; a deadline already in the past is not born."""
    if due_at <= ctx.now and not payload.pop("allow_past", False):
        return None
    return schedule(ctx.uow, workspace_id=ctx.workspace.id, kind=kind, subject=subject,
                    due_at=due_at, now=ctx.now, payload=payload, request_id=request_id)
