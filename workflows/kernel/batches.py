"""Reads for the daily ticks (R7, R8, R13, R36), a chunk at a time (issue 15): one keyset page of
requests, then each related table for the whole page in one `IN` query — a few statements per
chunk of ~200 requests instead of two per request, and only a chunk's rows in memory."""
from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import JSON, Select, func, text, union_all
from sqlalchemy.orm import defer
from sqlmodel import col, select

from storage.tables import AuditEvent, CollaborationRequest as Request, Issue, ProgressPost, Task
from workflows.kernel.context import Ctx

BOARD_ACTION = "audit_event.action = 'board.daily'"  # the predicate of `ix_audit_board`


def lean(model: type) -> list:
    """Loader options that leave a model's JSON columns unread (loading raises instead): the
    ticks never show them, and decoding them was a third of a chunk's time on SQLite."""
    return [defer(getattr(model, c.name), raiseload=True) for c in model.__table__.columns
            if isinstance(c.type, JSON)]


def after_id(cursor: str) -> int:
    """A chunk cursor is the last key done (`""` before the first chunk)."""
    return int(cursor) if cursor else 0


async def requests_page(ctx: Ctx, states: Iterable[str], *, after: int, limit: int) -> list[Request]:
    """The next `limit` requests in `states` with an id above `after`, oldest first.

    One index range per state on `(workspace_id, state, id)`, each stopping at `limit`; the ids
    merged here, then the page's rows by primary key. A page costs the same at the first chunk
    and the last, whatever the planner's statistics (one `state IN (…) ORDER BY id` would re-read
    every remaining row of the states per chunk)."""
    ranges = [_state_range(ctx, state, after=after, limit=limit).subquery() for state in sorted(states)]
    ids = sorted(i for (i,) in await ctx.uow.all(union_all(*(select(r.c.id) for r in ranges))))[:limit]
    if not ids:
        return []
    return await ctx.uow.all(select(Request).options(*lean(Request)).where(col(Request.id).in_(ids))
                             .order_by(col(Request.id)))


def _state_range(ctx: Ctx, state: str, *, after: int, limit: int) -> Select:
    """A state's next ids after `after`. On PostgreSQL the state is a closed range and the order
    `(state, id)`: an `=` would make the state a constant to the planner and the order plain `id`,
    which the primary key gives too — and the generic plan of the prepared statement (psycopg
    prepares it at the sixth chunk) walked the primary key from `after` filtering on the state,
    every remaining row per chunk for a state with no requests (quadratic: 10 ms a request at
    100,000). Only the `(workspace_id, state, id)` index gives this order. SQLite plans each
    statement afresh and takes `id > after` into the index only after an `=` on the state."""
    if ctx.uow.is_postgres:
        match, order = [col(Request.state) >= state, col(Request.state) <= state], [col(Request.state)]
    else:
        match, order = [Request.state == state], []
    return (select(Request.id).where(Request.workspace_id == ctx.workspace.id, *match, col(Request.id) > after)
            .order_by(*order, col(Request.id)).limit(limit))


def by_request(rows: Iterable, ids: Iterable[int]) -> dict[int, list]:
    out: dict[int, list] = {i: [] for i in ids}
    for row in rows:
        out[row.request_id].append(row)
    return out


async def tasks_of_requests(ctx: Ctx, ids: list[int]) -> dict[int, list[Task]]:
    """Each request's tasks in `seq` order, as `lookups.tasks_of` gives one request's."""
    if not ids:
        return {}
    rows = await ctx.uow.all(select(Task).options(*lean(Task)).where(col(Task.request_id).in_(ids))
                             .order_by(col(Task.seq), col(Task.id)))
    return by_request(rows, ids)


async def issues_of_requests(ctx: Ctx, ids: list[int], states: Iterable[str]) -> dict[int, list[Issue]]:
    if not ids:
        return {}
    rows = await ctx.uow.all(select(Issue).options(*lean(Issue)).where(
        col(Issue.request_id).in_(ids), col(Issue.state).in_(sorted(states)))
                             .order_by(col(Issue.id)))
    return by_request(rows, ids)


async def posts_of_tasks(ctx: Ctx, task_ids: list[int], start: date, end: date) -> list[ProgressPost]:
    """The tasks' daily posts from `start` to `end`, oldest first."""
    if not task_ids:
        return []
    return await ctx.uow.all(select(ProgressPost).where(
        col(ProgressPost.task_id).in_(task_ids), ProgressPost.work_date >= start, ProgressPost.work_date <= end)
        .order_by(col(ProgressPost.work_date), col(ProgressPost.id)))


# per subject, its newest board: a backward range of `ix_audit_board` each (see below)
NEWEST_BOARDS = text(
    "SELECT s.subject, b.after FROM unnest(CAST(:subjects AS VARCHAR[])) AS s(subject) CROSS JOIN LATERAL "
    f"(SELECT audit_event.after FROM audit_event WHERE audit_event.workspace_id = :ws AND {BOARD_ACTION} "
    "AND audit_event.subject >= s.subject AND audit_event.subject <= s.subject "
    "ORDER BY audit_event.subject DESC, audit_event.id DESC LIMIT 1) AS b")


async def last_board_digests(ctx: Ctx, subjects: list[str]) -> dict[str, str]:
    """The digest (`after`) of each group's newest daily board (R36), through the partial index
    `ix_audit_board` — the action is written as a literal so both databases can use it.

    On PostgreSQL not `subject IN (…) GROUP BY subject`: its plan kept the `IN` out of the index
    to read it in `subject` order, and filtered every board of the workspace per chunk — the
    boards this tick had just written too, which the statistics did not know of (quadratic: 40 ms
    a chunk at the end of a 100,000-request tick). Instead, per subject, the newest row of its
    range, the subject a closed range and the order `(subject, id)`, which only that index gives
    (see `_state_range`); one statement of one shape whatever the number of subjects."""
    if not subjects:
        return {}
    if ctx.uow.is_postgres:
        rows = await ctx.uow.execute(NEWEST_BOARDS.bindparams(subjects=sorted(set(subjects)), ws=ctx.workspace.id))
        return {subject: after for subject, after in rows}
    newest = select(AuditEvent.subject, func.max(AuditEvent.id)).where(
        AuditEvent.workspace_id == ctx.workspace.id, text(BOARD_ACTION),
        col(AuditEvent.subject).in_(subjects)).group_by(AuditEvent.subject)
    ids = [audit_id for _, audit_id in await ctx.uow.all(newest)]
    if not ids:
        return {}
    rows = await ctx.uow.all(select(AuditEvent.subject, AuditEvent.after).where(col(AuditEvent.id).in_(ids)))
    return {subject: after for subject, after in rows}
