"""The outbox claim: which rows the delivery worker sends next, in order per conversation.

Each conversation's *head* — its oldest open row, the only one that may start a send — is on
`outbox_chat` (a trigger links a new row there inside its own INSERT), with `due_at` (when that
head is due; NULL while it is being sent). The claim reads due heads from `ix_outbox_chat_due`,
one query per platform: its cost follows the batch, not the number of open rows, and its plan
does not depend on statistics (BENCHMARKS.md, "Outbox claim").

A claimed head brings its chat's next due rows along as one *run* (up to the platform's run
size): the run is leased, sent in order and finished together (`bot/outbox_store.finish`), so a
busy chat costs one claim and about one finish per run, not two transactions per row — the row
after a head never waits for the head's own commit. Followers come from one statement (a range
of the partial index `ix_outbox_open` per head). A run stops at the first row that is not plainly
due (waiting, expiring): order per chat holds whatever happens to the run's rows.

A claimed row is `sending` under a *lease*: `lease_owner` (the worker) until `lease_until` (real
UTC time), renewed for the whole run at once. A worker killed mid-run stops renewing, and any
worker takes the run over once the lease has run out — through its head (only heads are taken
over, their lapsed followers come along), so a follower can never overtake its head.
At-least-once: rows sent but not yet finished go out again after a crash; the run's time between
finishes is bounded (`DELIVERY_RUN_FLUSH_SECONDS`). On PostgreSQL heads are claimed `FOR UPDATE
SKIP LOCKED`, so replicas share the queue; SQLite's `BEGIN IMMEDIATE` serialises.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any, Collection, Mapping

from sqlalchemy import Integer, and_, bindparam, or_, text, union_all, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import select

from bot.outbox_store import OPEN, SENDING, chat_is, of_chat, real_now, rehead
from storage.db import Database, UnitOfWork
from storage.tables import MessageRef, OutboxChat, OutboxMessage, Workspace

_BRANCHES = 200  # heads per follower statement (SQLite takes at most 500 compound terms)

# for this transaction only: a fresh burst of rows has no statistics yet, and the planner then
# chose a bitmap scan of every due chat plus a sort (36 ms at 20,000 chats) over the index walk
_PLAN = text("SELECT set_config('enable_sort', 'off', true),"
             " set_config('enable_bitmapscan', 'off', true)")


@dataclass
class Claimed:
    """One claimed row plus what the adapter needs that is not on the row."""

    row: OutboxMessage
    workspace_external_id: str
    ref_message_id: str = ""  # kind=update: the platform message the card lives in
    locale: str = "zh-CN"  # the workspace's language (a failure notice is written in it)


@dataclass
class ClaimResult:
    runs: list[list[Claimed]] = field(default_factory=list)  # each: a head and its followers
    expired: list[OutboxMessage] = field(default_factory=list)  # never sent: past expires_at


def chat_key(row: OutboxMessage) -> tuple[str, str, str]:
    return row.workspace_id, row.platform, row.conversation


def _due_heads(*, platform: str, now: datetime | None, limit: int, exclude: Collection[int],
               postgres: bool, probe: bool = False) -> tuple[Any, dict[str, Any]]:
    """Due heads of one platform, earliest first (`now=None`: whatever is due soonest — a
    circuit breaker's probe may take a row still waiting out its back-off): the statement, built
    once per shape (issue 15), and its parameters."""
    params: dict[str, Any] = {"of_platform": platform, "of_limit": limit}
    if now is not None:
        params["of_now"] = now
    if exclude:
        params["of_exclude"] = sorted(exclude)
    return _due_heads_shaped(frozenset(params), probe, postgres), params


@functools.cache
def _due_heads_shaped(by: frozenset[str], probe: bool, postgres: bool) -> Any:
    h, o = OutboxChat, OutboxMessage
    stmt = select(o, h).join(h, o.id == h.head_id).where(h.platform == bindparam("of_platform"))
    stmt = stmt.where(h.due_at <= bindparam("of_now")) if "of_now" in by else stmt.where(
        h.due_at.is_not(None))
    if probe:
        stmt = stmt.where(o.attempts > 0)
    if "of_exclude" in by:
        stmt = stmt.where(h.head_id.not_in(bindparam("of_exclude", expanding=True)))
    stmt = stmt.order_by(h.due_at).limit(bindparam("of_limit", type_=Integer))
    return stmt.with_for_update(skip_locked=True, of=[h, o]) if postgres else stmt


def _by_id(ids: Collection[int], postgres: bool) -> Any:
    """Heads the worker's own real-time back-off says are due (a frozen demo clock)."""
    h, o = OutboxChat, OutboxMessage
    stmt = (select(o, h).join(h, o.id == h.head_id)
            .where(h.head_id.in_(sorted(ids)), h.due_at.is_not(None)))
    return stmt.with_for_update(skip_locked=True, of=[h, o]) if postgres else stmt


def _lapsed(*, at: datetime, limit: int, exclude: Collection[int], platforms: Collection[str],
            postgres: bool) -> tuple[Any, dict[str, Any]]:
    """Heads whose worker stopped renewing its lease (killed, partitioned). Only heads: a
    lapsed follower comes back with its head's run, never on its own."""
    params: dict[str, Any] = {"of_at": at, "of_limit": limit, "of_platforms": sorted(platforms)}
    if exclude:
        params["of_exclude"] = sorted(exclude)
    return _lapsed_shaped(bool(exclude), postgres), params


@functools.cache
def _lapsed_shaped(excluding: bool, postgres: bool) -> Any:
    h, o = OutboxChat, OutboxMessage
    stmt = select(o).join(h, and_(h.workspace_id == o.workspace_id, h.platform == o.platform,
                                  h.conversation == o.conversation, h.head_id == o.id)).where(
        o.state == SENDING, o.lease_until <= bindparam("of_at"),
        o.platform.in_(bindparam("of_platforms", expanding=True)))
    if excluding:
        stmt = stmt.where(o.id.not_in(bindparam("of_exclude", expanding=True)))
    stmt = stmt.order_by(o.lease_until).limit(bindparam("of_limit", type_=Integer))
    return stmt.with_for_update(skip_locked=True, of=o) if postgres else stmt


def _followers(heads: list[OutboxMessage], size: Mapping[str, int]) -> tuple[Any, dict[str, Any]]:
    """The next open rows after each head in its chat — one index range per head, each
    stopping at the run's size — in one statement (built once per number of heads)."""
    params: dict[str, Any] = {}
    for i, h in enumerate(heads):
        params.update({f"ws{i}": h.workspace_id, f"pl{i}": h.platform, f"cv{i}": h.conversation,
                       f"id{i}": h.id, f"n{i}": size[h.platform] - 1})
    return _followers_of(len(heads)), params


@functools.cache
def _followers_of(count: int) -> Any:
    o = OutboxMessage
    ranges = [select(o.id).where(o.workspace_id == bindparam(f"ws{i}"),
                                 o.platform == bindparam(f"pl{i}"),
                                 o.conversation == bindparam(f"cv{i}"), o.state.in_(OPEN),
                                 o.id > bindparam(f"id{i}")).order_by(o.id)
              .limit(bindparam(f"n{i}", type_=Integer)).subquery() for i in range(count)]
    ids = union_all(*(select(r.c.id) for r in ranges)) if len(ranges) > 1 else select(ranges[0].c.id)
    return select(o).where(o.id.in_(ids)).order_by(o.workspace_id, o.platform, o.conversation, o.id)


# The claim's writes as Core statements built once (issue 15): the ORM's flush of the same
# attribute changes cost more than the claim's queries. The loaded objects are given the
# written values as committed ones, so nothing is left for a flush to write again.

@functools.cache
def _unheading() -> Any:
    return update(OutboxChat).where(chat_is()).values(due_at=None)


@functools.cache
def _leasing() -> Any:
    o = OutboxMessage
    return update(o).where(o.id.in_(bindparam("of_ids", expanding=True))).values(
        state="sending", lease_owner=bindparam("to_owner"), lease_until=bindparam("to_until"))


def _joins_run(row: OutboxMessage, *, now: datetime, at: datetime) -> bool:
    """A follower rides along only if it would be due as a head right now."""
    if row.expires_at is not None and row.expires_at <= now:
        return False  # expires as a head, on its own, logged
    if row.state == "sending":
        return row.lease_until is not None and row.lease_until <= at  # its dead run's
    return row.next_attempt_at <= now


async def _extend(uow: UnitOfWork, heads: list[OutboxMessage], *, size: Mapping[str, int],
                  now: datetime, at: datetime) -> dict[int, list[OutboxMessage]]:
    """head id → the followers that join its run, in order."""
    wanting = [h for h in heads if size.get(h.platform, 1) > 1]
    out: dict[int, list[OutboxMessage]] = {}
    first = {chat_key(h): h.id for h in wanting}
    for i in range(0, len(wanting), _BRANCHES):
        rows = await uow.all(*_followers(wanting[i:i + _BRANCHES], size))
        for key, chat_rows in groupby(rows, key=chat_key):
            run = out.setdefault(first[key], [])
            for row in chat_rows:
                if not _joins_run(row, now=now, at=at):
                    break
                run.append(row)
    return out


async def _refs(uow: UnitOfWork, rows: list[OutboxMessage]) -> dict[tuple[str, str, str], str]:
    """(workspace, conversation, card key) → platform message id, for the update rows."""
    keys = {(r.workspace_id, r.conversation, r.card_key) for r in rows
            if r.kind == "update" and r.card_key}
    if not keys:
        return {}
    m = MessageRef
    found = await uow.all(select(m).where(or_(*(and_(
        m.workspace_id == w, m.conversation == c, m.card_key == k) for w, c, k in sorted(keys)))))
    return {(r.workspace_id, r.conversation, r.card_key): r.platform_message_id for r in found}


async def claim(db: Database, *, now: datetime, limit: int, lease_seconds: float, owner: str,
                platforms: Collection[str], real_due: Collection[int] = (),
                exclude: Collection[int] = (), probe: bool = False,
                run_size: Mapping[str, int] | None = None,
                workspaces: dict[str, tuple[str, str]] | None = None) -> ClaimResult:
    """Claim up to `limit` conversation heads of `platforms` that are due (by the clock, or by
    the worker's real-time back-off in `real_due`) or whose lease lapsed, each with up to
    `run_size[platform] - 1` followers; heads past their `expires_at` become `expired` instead
    (and their chat moves on). `probe`: one head that failed before, due or not, alone.
    `workspaces` caches id → (external id, locale)."""
    cache = workspaces if workspaces is not None else {}
    result = ClaimResult()
    if limit <= 0 or not platforms:
        return result
    at = real_now()
    async with db.uow() as uow:
        pg = uow.is_postgres
        if pg:  # the index order, whatever the statistics say (a burst before ANALYZE ran)
            await uow.execute(_PLAN)
        rows: list[OutboxMessage] = []
        if not probe:
            rows += await uow.all(*_lapsed(at=at, limit=limit, exclude=exclude,
                                           platforms=platforms, postgres=pg))
        heads: list[OutboxChat] = []
        if real_due and len(rows) < limit and not probe:
            for row, head in await uow.all(_by_id(real_due, pg)):
                if head.platform in platforms and len(rows) < limit:
                    rows.append(row)
                    heads.append(head)
        for platform in sorted(platforms):
            if len(rows) >= limit:
                break
            taken = set(exclude) | {r.id for r in rows}
            for row, head in await uow.all(*_due_heads(
                    platform=platform, now=None if probe else now, limit=limit - len(rows),
                    exclude=taken, postgres=pg, probe=probe)):
                rows.append(row)
                heads.append(head)
        if heads:  # being sent: the lease on the row speaks for it now
            await uow.execute(_unheading(), [of_chat(h) for h in heads])
            for head in heads:
                set_committed_value(head, "due_at", None)
        live = []
        for row in rows:
            if row.expires_at is not None and row.expires_at <= now:
                row.state, row.lease_owner, row.lease_until = "expired", "", None
                row.last_error = f"expired at {row.expires_at.isoformat()} before it could be sent"
                result.expired.append(row)
            else:
                live.append(row)
        if result.expired:
            await uow.flush()
            for row in result.expired:
                await rehead(uow, row)
        followers = {} if probe or not live else await _extend(
            uow, live, size=run_size or {}, now=now, at=at)
        runs = [[head, *followers.get(head.id, [])] for head in live]
        refs = await _refs(uow, [r for run in runs for r in run])
        lease_until = at + timedelta(seconds=lease_seconds)
        if runs:
            await uow.execute(_leasing(), {"of_ids": [r.id for run in runs for r in run],
                                           "to_owner": owner, "to_until": lease_until})
        for run in runs:
            claimed = []
            for row in run:
                for name, value in (("state", "sending"), ("lease_owner", owner),
                                    ("lease_until", lease_until)):
                    set_committed_value(row, name, value)
                if row.workspace_id not in cache:
                    ws = await uow.get(Workspace, row.workspace_id)
                    cache[row.workspace_id] = (ws.external_id, ws.locale) if ws else ("", "zh-CN")
                external, locale = cache[row.workspace_id]
                ref = refs.get((row.workspace_id, row.conversation, row.card_key), "")
                claimed.append(Claimed(row, external, ref if row.kind == "update" else "", locale))
            result.runs.append(claimed)
    return result
