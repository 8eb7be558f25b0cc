"""The outbox rows' SQL for the delivery worker: claim in order per conversation, lease, finish.

Each conversation's *head* — its oldest open row, the only one that may be sent — is on
`outbox_chat` (a trigger links a new row there inside its own INSERT), with `due_at` (when that
head is due; NULL while it is being sent). The claim reads due heads from `ix_outbox_chat_due`,
one query per platform: its cost follows the batch, not the number of open rows, and its plan
does not depend on statistics (BENCHMARKS.md, "Outbox claim"). Finishing a head moves the chat
to its next open row (one probe of the partial index `ix_outbox_open`) under the chat row's
lock, so row N+1 never overtakes row N — nor a row whose transaction committed later.

A claimed row is `sending` under a *lease*: `lease_owner` (the worker) until `lease_until`
(real UTC time). The worker renews it while the send runs; a worker killed mid-send stops
renewing, and any worker takes the row over once the lease has run out (seconds, not minutes).
Every finishing statement is guarded by the owner: a worker that lost its lease cannot overwrite
the row another worker now holds. At-least-once: the row may go out twice if a worker died
after the platform accepted it; Feishu's `uuid` idempotency key absorbs that. On PostgreSQL the
claim is `FOR UPDATE SKIP LOCKED`, so replicas share the queue; SQLite's `BEGIN IMMEDIATE`
serialises.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Collection

from sqlalchemy import and_, literal_column, text, update
from sqlmodel import select

from storage.db import Database, UnitOfWork
from storage.tables import MessageRef, OutboxChat, OutboxMessage, Workspace

OPEN_STATES = ("pending", "sending")
# literal, not bound: a partial index is usable only when its predicate is visible in the SQL
_SENDING = literal_column("'sending'")
_OPEN = (literal_column("'pending'"), literal_column("'sending'"))


# for this transaction only: a fresh burst of rows has no statistics yet, and the planner then
# chose a bitmap scan of every due chat plus a sort (36 ms at 20,000 chats) over the index walk
_PLAN = text("SELECT set_config('enable_sort', 'off', true),"
             " set_config('enable_bitmapscan', 'off', true)")


def real_now() -> datetime:
    """Leases run on real time, whatever the workflow clock says (a demo's clock jumps)."""
    return datetime.now(timezone.utc)


@dataclass
class Claimed:
    """One claimed row plus what the adapter needs that is not on the row."""

    row: OutboxMessage
    workspace_external_id: str
    ref_message_id: str = ""  # kind=update: the platform message the card lives in
    locale: str = "zh-CN"  # the workspace's language (a failure notice is written in it)


@dataclass
class ClaimResult:
    claimed: list[Claimed]
    expired: list[OutboxMessage]  # heads whose message expired by policy: never sent


def _due_heads(*, platform: str, now: datetime | None, limit: int, exclude: Collection[int],
               postgres: bool, probe: bool = False) -> Any:
    """Due heads of one platform, earliest first (`now=None`: whatever is due soonest — a
    circuit breaker's probe may take a row still waiting out its back-off)."""
    h, o = OutboxChat, OutboxMessage
    stmt = select(o, h).join(h, o.id == h.head_id).where(h.platform == platform)
    stmt = stmt.where(h.due_at <= now) if now is not None else stmt.where(h.due_at.is_not(None))
    if probe:
        stmt = stmt.where(o.attempts > 0)
    if exclude:
        stmt = stmt.where(h.head_id.not_in(sorted(exclude)))
    stmt = stmt.order_by(h.due_at).limit(limit)
    return stmt.with_for_update(skip_locked=True, of=[h, o]) if postgres else stmt


def _by_id(ids: Collection[int], postgres: bool) -> Any:
    """Heads the worker's own real-time back-off says are due (a frozen demo clock)."""
    h, o = OutboxChat, OutboxMessage
    stmt = (select(o, h).join(h, o.id == h.head_id)
            .where(h.head_id.in_(sorted(ids)), h.due_at.is_not(None)))
    return stmt.with_for_update(skip_locked=True, of=[h, o]) if postgres else stmt


def _lapsed(*, at: datetime, limit: int, exclude: Collection[int], platforms: Collection[str],
            postgres: bool) -> Any:
    """Rows whose worker stopped renewing its lease (killed, partitioned): heads by
    construction, since only a head is ever claimed."""
    o = OutboxMessage
    stmt = select(o).where(o.state == _SENDING, o.lease_until <= at,
                           o.platform.in_(sorted(platforms)))
    if exclude:
        stmt = stmt.where(o.id.not_in(sorted(exclude)))
    stmt = stmt.order_by(o.lease_until).limit(limit)
    return stmt.with_for_update(skip_locked=True, of=o) if postgres else stmt


async def claim(db: Database, *, now: datetime, limit: int, lease_seconds: float, owner: str,
                platforms: Collection[str], real_due: Collection[int] = (),
                exclude: Collection[int] = (), probe: bool = False,
                workspaces: dict[str, tuple[str, str]] | None = None) -> ClaimResult:
    """Claim up to `limit` conversation heads of `platforms` that are due (by the clock, or by
    the worker's real-time back-off in `real_due`) or whose lease lapsed; heads past their
    `expires_at` become `expired` instead (and their chat moves on). `probe`: one head that
    failed before, due or not. `workspaces` caches id → (external id, locale)."""
    cache = workspaces if workspaces is not None else {}
    result = ClaimResult([], [])
    if limit <= 0 or not platforms:
        return result
    at = real_now()
    async with db.uow() as uow:
        pg = uow.is_postgres
        if pg:  # the index order, whatever the statistics say (a burst before ANALYZE ran)
            await uow.execute(_PLAN)
        rows: list[OutboxMessage] = []
        if not probe:
            rows += await uow.all(_lapsed(at=at, limit=limit, exclude=exclude,
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
            for row, head in await uow.all(_due_heads(
                    platform=platform, now=None if probe else now, limit=limit - len(rows),
                    exclude=taken, postgres=pg, probe=probe)):
                rows.append(row)
                heads.append(head)
        for head in heads:
            head.due_at = None  # being sent: the lease on the row speaks for it now
        for row in rows:
            if row.expires_at is not None and row.expires_at <= now:
                row.state, row.lease_owner, row.lease_until = "expired", "", None
                row.last_error = f"expired at {row.expires_at.isoformat()} before it could be sent"
                await uow.flush()
                await _advance(uow, row)
                result.expired.append(row)
                continue
            row.state, row.lease_owner = "sending", owner
            row.lease_until = at + timedelta(seconds=lease_seconds)
            if row.workspace_id not in cache:
                ws = await uow.get(Workspace, row.workspace_id)
                cache[row.workspace_id] = (ws.external_id, ws.locale) if ws else ("", "zh-CN")
            ref = ""
            if row.kind == "update" and row.card_key:
                found = await _ref(uow, row.workspace_id, row.conversation, row.card_key)
                ref = found.platform_message_id if found else ""
            external, locale = cache[row.workspace_id]
            result.claimed.append(Claimed(row, external, ref, locale))
    return result


def _chat(row: OutboxMessage) -> Any:
    h = OutboxChat
    return and_(h.workspace_id == row.workspace_id, h.platform == row.platform,
                h.conversation == row.conversation)


async def _advance(uow: UnitOfWork, row: OutboxMessage) -> None:
    """The head is done (sent, failed, expired): the chat's next open row becomes its head.
    The chat row is locked first, so a writer adding a row to this chat right now either
    committed before (its row is seen here) or links its row after (it finds no head)."""
    h, o = OutboxChat, OutboxMessage
    lock = select(h).where(_chat(row))
    if uow.is_postgres:
        lock = lock.with_for_update()
    await uow.execute(lock)
    nxt = (await uow.execute(
        select(o.id, o.next_attempt_at).where(
            o.workspace_id == row.workspace_id, o.platform == row.platform,
            o.conversation == row.conversation, o.state.in_(_OPEN), o.id != row.id)
        .order_by(o.id).limit(1))).first()
    await uow.execute(update(h).where(_chat(row)).values(
        head_id=nxt.id if nxt else None, due_at=nxt.next_attempt_at if nxt else None))


async def _set_due(uow: UnitOfWork, row: OutboxMessage, due_at: datetime) -> None:
    h = OutboxChat
    await uow.execute(update(h).where(_chat(row), h.head_id == row.id).values(due_at=due_at))


async def _ref(uow, workspace_id: str, conversation: str, card_key: str) -> MessageRef | None:
    return await uow.first(select(MessageRef).where(
        MessageRef.workspace_id == workspace_id, MessageRef.conversation == conversation,
        MessageRef.card_key == card_key))


def _held(row_id: int, owner: str) -> Any:
    o = OutboxMessage
    return and_(o.id == row_id, o.state == "sending", o.lease_owner == owner)


async def renew(db: Database, *, row_id: int, owner: str, lease_seconds: float) -> bool:
    """Extend the lease; False when this worker no longer holds the row (it was taken over)."""
    async with db.uow() as uow:
        done = await uow.execute(update(OutboxMessage).where(_held(row_id, owner)).values(
            lease_until=real_now() + timedelta(seconds=lease_seconds)))
    return done.rowcount == 1


async def mark_sent(db: Database, *, row: OutboxMessage, owner: str, at: datetime,
                    platform_message_id: str, state: str = "sent") -> bool:
    """Sent: keep the platform's message id, and — for a card — where it lives, so a later
    update finds it; the chat's next row becomes its head. `state="failed"`: a failure notice
    went out in the message's place. False when the lease was lost meanwhile."""
    async with db.uow() as uow:
        done = await uow.execute(update(OutboxMessage).where(_held(row.id, owner)).values(
            state=state, sent_at=at, attempts=OutboxMessage.attempts + 1, lease_owner="",
            lease_until=None, platform_message_id=platform_message_id,
            **({"last_error": ""} if state == "sent" else {})))
        if done.rowcount != 1:
            return False
        await _advance(uow, row)
        if row.card_key and platform_message_id:
            ref = await _ref(uow, row.workspace_id, row.conversation, row.card_key)
            if ref is None:
                uow.add(MessageRef(workspace_id=row.workspace_id, conversation=row.conversation,
                                   card_key=row.card_key, platform_message_id=platform_message_id))
            else:
                ref.platform_message_id = platform_message_id
    return True


async def mark_retry(db: Database, *, row: OutboxMessage, owner: str, next_attempt_at: datetime,
                     error: str) -> bool:
    """Back to `pending`, due again at `next_attempt_at` (still its chat's head)."""
    async with db.uow() as uow:
        done = await uow.execute(update(OutboxMessage).where(_held(row.id, owner)).values(
            state="pending", next_attempt_at=next_attempt_at, lease_owner="", lease_until=None,
            attempts=OutboxMessage.attempts + 1, last_error=error[:2000]))
        if done.rowcount != 1:
            return False
        await _set_due(uow, row, next_attempt_at)
    return True


async def mark_failed(db: Database, *, row: OutboxMessage, owner: str, error: str) -> bool:
    """Given up for good: the row stays, `failed`, with its error; the chat moves on."""
    async with db.uow() as uow:
        done = await uow.execute(update(OutboxMessage).where(_held(row.id, owner)).values(
            state="failed", attempts=OutboxMessage.attempts + 1, lease_owner="",
            lease_until=None, last_error=error[:2000]))
        if done.rowcount != 1:
            return False
        await _advance(uow, row)
    return True


async def replace_with_notice(db: Database, *, row: OutboxMessage, owner: str, error: str,
                              now: datetime, kind: str, payload: dict[str, Any]) -> bool:
    """A permanent failure: the row stays the chat's head but now carries a short notice in its
    place (the original kind, card key and payload kept under `payload["failed"]`), so the chat
    is told at this point in its sequence instead of silently skipping ahead."""
    async with db.uow() as uow:
        done = await uow.execute(update(OutboxMessage).where(_held(row.id, owner)).values(
            state="pending", kind=kind, card_key="", payload=payload, next_attempt_at=now,
            lease_owner="", lease_until=None, attempts=OutboxMessage.attempts + 1,
            last_error=error[:2000]))
        if done.rowcount != 1:
            return False
        await _set_due(uow, row, now)
    return True


async def release(db: Database, *, row: OutboxMessage, owner: str, now: datetime) -> None:
    """Put a claimed row back untouched (the worker stops mid-send): due at once again."""
    async with db.uow() as uow:
        done = await uow.execute(update(OutboxMessage).where(_held(row.id, owner)).values(
            state="pending", next_attempt_at=now, lease_owner="", lease_until=None))
        if done.rowcount == 1:
            await _set_due(uow, row, now)


async def retry_now(db: Database, *, platform: str, now: datetime) -> int:
    """A platform is back: its heads waiting out a back-off from the outage are due at once
    (everything sent within seconds of recovery, not after a minute of back-off)."""
    h, o = OutboxChat, OutboxMessage
    backed_off = select(o.id).where(o.state == literal_column("'pending'"),
                                    o.next_attempt_at > now, o.platform == platform,
                                    o.attempts > 0)
    async with db.uow() as uow:
        done = await uow.execute(update(h).where(
            h.platform == platform, h.due_at > now, h.head_id.in_(backed_off))
            .values(due_at=now))
        await uow.execute(update(o).where(o.id.in_(backed_off)).values(next_attempt_at=now))
    return done.rowcount or 0
