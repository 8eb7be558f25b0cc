"""Time lives in rows (DESIGN rule 4): every deadline SPEC names is a `timer` row written in the
transaction that gives birth to it, cancelled or moved when the state changes. The scheduler's
sweep fires due rows; each domain package declares the handlers of its kinds (`Routes.timers`)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import inspect, update
from sqlmodel import col, select

from storage.db import UnitOfWork
from storage.tables import Timer

_BORN = "timers.born"  # `session.info` key: the timers scheduled in this transaction

def schedule(uow: UnitOfWork, *, workspace_id: str, kind: str, subject: str, due_at: datetime,
             now: datetime, payload: dict[str, Any] | None = None,
             request_id: int | None = None) -> Timer:
    timer = Timer(workspace_id=workspace_id, kind=kind, subject=subject, due_at=due_at,
                  request_id=request_id, payload=payload or {}, created_at=now)
    uow.add(timer)
    uow.session.info.setdefault(_BORN, []).append(timer)
    return timer


def born(uow: UnitOfWork) -> list[Timer]:
    """The timers this transaction scheduled since the last call, flushed or not (a flush takes
    them out of `session.new`, and any query flushes); those of a rolled-back savepoint are gone."""
    rows = uow.session.info.pop(_BORN, [])
    return [t for t in rows if not inspect(t).transient and not inspect(t).detached]


async def cancel(uow: UnitOfWork, *, subject: str | None = None, kinds: Iterable[str] | None = None,
                 request_id: int | None = None) -> int:
    """Cancel pending timers of a subject (optionally only some kinds), or of a whole request.

    Rows a sweep is firing right now are skipped (`SKIP LOCKED`) instead of waited for: the
    handler re-checks the state under its own lock, so waiting could only deadlock."""
    if subject is None and request_id is None:
        raise ValueError("cancel needs a subject or a request")
    query = select(Timer.id).where(col(Timer.state) == "pending")
    if subject is not None:
        query = query.where(col(Timer.subject) == subject)
    if request_id is not None:
        query = query.where(col(Timer.request_id) == request_id)
    if kinds is not None:
        query = query.where(col(Timer.kind).in_(list(kinds)))
    await uow.flush()
    # one round trip: the rows are locked (skipping those being fired) and cancelled in the
    # same statement — a click pays per statement (issue 15)
    cancelled = await uow.session.exec(  # type: ignore[call-overload]
        update(Timer).where(col(Timer.id).in_(query.with_for_update(skip_locked=True).scalar_subquery()))
        .values(state="cancelled").returning(Timer.id))
    return len(cancelled.all())


def set_timer(ctx: Any, *, kind: str, subject: str, due_at: datetime, request_id: int | None,
              **payload: Any) -> Timer | None:
    """Schedule from a workflow context; a deadline already in the past is not born."""
    if due_at <= ctx.now and not payload.pop("allow_past", False):
        return None
    return schedule(ctx.uow, workspace_id=ctx.workspace.id, kind=kind, subject=subject,
                    due_at=due_at, now=ctx.now, payload=payload, request_id=request_id)
