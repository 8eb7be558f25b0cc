"""Time lives in rows (DESIGN rule 4): every deadline SPEC names is a `timer` row written in the
transaction that gives birth to it, cancelled or moved when the state changes. The scheduler's
sweep fires due rows; each domain package declares the handlers of its kinds (`Routes.timers`)."""
from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import bindparam, update
from sqlmodel import col, select

from storage.db import UnitOfWork
from storage.tables import Timer

_BORN = "timers.born"  # `session.info` key: the appended timer rows `born` has returned


def schedule(uow: UnitOfWork, *, workspace_id: str, kind: str, subject: str, due_at: datetime,
             now: datetime, payload: dict[str, Any] | None = None,
             request_id: int | None = None) -> None:
    """A timer row, appended (`UnitOfWork.append`): nothing reads a new timer's id, and as an
    ORM object it cost a flush with `RETURNING id` of its own — a round trip on every click
    that starts a clock (issue 15); appended, it goes with the transaction's last statements."""
    uow.append(Timer, workspace_id=workspace_id, kind=kind, subject=subject, due_at=due_at,
               request_id=request_id, payload=payload or {}, created_at=now)


def born(uow: UnitOfWork) -> list[datetime]:
    """When the timers this transaction scheduled since the last call are due, written or not
    (any read writes them); those of a rolled-back savepoint are gone."""
    seen: set[int] = uow.session.info.setdefault(_BORN, set())
    fresh = [values for model, values in uow.appended_log
             if model is Timer and id(values) not in seen]
    seen.update(id(values) for values in fresh)  # the log keeps them alive: ids stay unique
    return [values["due_at"] for values in fresh]


async def cancel(uow: UnitOfWork, *, subject: str | None = None, kinds: Iterable[str] | None = None,
                 request_id: int | None = None) -> int:
    """Cancel pending timers of a subject (optionally only some kinds), or of a whole request.

    Rows a sweep is firing right now are skipped (`SKIP LOCKED`) instead of waited for: the
    handler re-checks the state under its own lock, so waiting could only deadlock."""
    if subject is None and request_id is None:
        raise ValueError("cancel needs a subject or a request")
    params: dict[str, Any] = {}
    if subject is not None:
        params["of_subject"] = subject
    if request_id is not None:
        params["of_request"] = request_id
    if kinds is not None:
        params["of_kinds"] = list(kinds)
    await uow.flush()
    cancelled = await uow.execute(_cancelling(frozenset(params)), params)
    return len(cancelled.all())


@functools.cache
def _cancelling(by: frozenset[str]) -> Any:
    """`cancel`'s statement for one choice of filters, built once (issue 15). One round trip:
    the rows are locked (skipping those being fired) and cancelled in the same statement — a
    click pays per statement. A plain Core UPDATE: the ORM's bulk-update path cost a click more
    than the statement, and no timer object in the session is read after a cancel."""
    query = select(Timer.id).where(col(Timer.state) == "pending")
    if "of_subject" in by:
        query = query.where(col(Timer.subject) == bindparam("of_subject"))
    if "of_request" in by:
        query = query.where(col(Timer.request_id) == bindparam("of_request"))
    if "of_kinds" in by:
        query = query.where(col(Timer.kind).in_(bindparam("of_kinds", expanding=True)))
    return (update(Timer).where(col(Timer.id).in_(query.with_for_update(skip_locked=True).scalar_subquery()))
            .values(state="cancelled").returning(Timer.id))


def set_timer(ctx: Any, *, kind: str, subject: str, due_at: datetime, request_id: int | None,
              **payload: Any) -> None:
    """Schedule from a workflow context; a deadline already in the past is not born."""
    if due_at <= ctx.now and not payload.pop("allow_past", False):
        return None
    return schedule(ctx.uow, workspace_id=ctx.workspace.id, kind=kind, subject=subject,
                    due_at=due_at, now=ctx.now, payload=payload, request_id=request_id)
