"""The outbox rows' SQL for the delivery worker: claim in order per conversation, lease, finish.

Claiming takes only the *head* of each conversation — a due row with no earlier row of the same
conversation still pending or being sent — so row N+1 never overtakes row N (DESIGN rule 5).
The claim walks pending rows in id order through a partial index and asks "an earlier open row
of this chat?" with one probe of another partial index per candidate (`NOT EXISTS`), so it
stops after about `limit` rows however many are open: no grouping of the whole queue, and no
plan that depends on the table's statistics (BENCHMARKS.md, "Outbox claim").

A claimed row is `sending` under a *lease*: `lease_owner` (the worker) until `lease_until`
(real UTC time). The worker renews it while the send runs; a worker killed mid-send stops
renewing, and any worker takes the row over once the lease has run out (seconds, not minutes).
Every finishing statement is guarded by the owner: a worker that lost its lease (stalled longer
than the lease) cannot overwrite the row another worker now holds. At-least-once: the row may
go out twice if a worker died after the platform accepted it; Feishu's `uuid` idempotency key
absorbs that where the platform has one. On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`,
so replicas share the queue; SQLite's `BEGIN IMMEDIATE` serialises.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Collection

from sqlalchemy import and_, exists, literal_column, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import select

from storage.db import Database
from storage.tables import MessageRef, OutboxMessage, Workspace

OPEN_STATES = ("pending", "sending")
# literal, not bound: a partial index is usable only when the predicate is visible in the SQL
_PENDING = literal_column("'pending'")
_SENDING = literal_column("'sending'")
_OPEN = (literal_column("'pending'"), literal_column("'sending'"))


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


def _heads_statement(*, now: datetime, limit: int, real_due: Collection[int],
                     exclude: Collection[int], platforms_in: Collection[str] | None,
                     platforms_out: Collection[str], postgres: bool,
                     probe: bool = False) -> Any:
    o, p = OutboxMessage, aliased(OutboxMessage)
    earlier_open = exists().where(
        p.workspace_id == o.workspace_id, p.platform == o.platform,
        p.conversation == o.conversation, p.id < o.id, p.state.in_(_OPEN))
    due = o.next_attempt_at <= now
    if real_due:
        due = or_(due, o.id.in_(sorted(real_due)))
    if probe:  # a circuit breaker's probe may take a row still waiting out its back-off
        due = or_(due, o.attempts > 0)
    stmt = select(o).where(o.state == _PENDING, due, ~earlier_open)
    stmt = _narrow(stmt, exclude=exclude, platforms_in=platforms_in, platforms_out=platforms_out)
    stmt = stmt.order_by(o.id).limit(limit)
    return stmt.with_for_update(skip_locked=True, of=o) if postgres else stmt


def _lapsed_statement(*, at: datetime, limit: int, exclude: Collection[int],
                      platforms_in: Collection[str] | None, platforms_out: Collection[str],
                      postgres: bool) -> Any:
    """Rows whose worker stopped renewing its lease (killed, partitioned): heads by
    construction, since only a head is ever claimed."""
    o = OutboxMessage
    stmt = select(o).where(o.state == _SENDING, o.lease_until <= at)
    stmt = _narrow(stmt, exclude=exclude, platforms_in=platforms_in, platforms_out=platforms_out)
    stmt = stmt.order_by(o.lease_until).limit(limit)
    return stmt.with_for_update(skip_locked=True, of=o) if postgres else stmt


def _narrow(stmt: Any, *, exclude: Collection[int], platforms_in: Collection[str] | None,
            platforms_out: Collection[str]) -> Any:
    o = OutboxMessage
    if exclude:
        stmt = stmt.where(o.id.not_in(sorted(exclude)))
    if platforms_in is not None:
        stmt = stmt.where(o.platform.in_(sorted(platforms_in)))
    if platforms_out:
        stmt = stmt.where(o.platform.not_in(sorted(platforms_out)))
    return stmt


async def claim(db: Database, *, now: datetime, limit: int, lease_seconds: float, owner: str,
                real_due: Collection[int] = (), exclude: Collection[int] = (),
                platforms_in: Collection[str] | None = None, platforms_out: Collection[str] = (),
                probe: bool = False,
                workspaces: dict[str, tuple[str, str]] | None = None) -> ClaimResult:
    """Claim up to `limit` conversation heads that are due (by the clock, or by the worker's
    real-time back-off in `real_due`) or whose lease lapsed; heads past their `expires_at`
    become `expired` instead. `platforms_in`/`platforms_out` follow the circuit breakers;
    `workspaces` caches id → (external id, locale) across calls."""
    cache = workspaces if workspaces is not None else {}
    result = ClaimResult([], [])
    if limit <= 0:
        return result
    at = real_now()
    async with db.uow() as uow:
        narrow = dict(exclude=exclude, platforms_in=platforms_in, platforms_out=platforms_out,
                      postgres=uow.is_postgres)
        rows = list(await uow.all(_lapsed_statement(at=at, limit=limit, **narrow)))
        if len(rows) < limit:
            rows += await uow.all(_heads_statement(now=now, limit=limit - len(rows),
                                                   real_due=real_due, probe=probe, **narrow))
        for row in rows:
            if row.expires_at is not None and row.expires_at <= now:
                row.state, row.lease_owner, row.lease_until = "expired", "", None
                row.last_error = f"expired at {row.expires_at.isoformat()} before it could be sent"
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


async def mark_sent(db: Database, *, row_id: int, owner: str, at: datetime,
                    platform_message_id: str, workspace_id: str = "", conversation: str = "",
                    card_key: str = "", state: str = "sent") -> bool:
    """Sent: keep the platform's message id, and — for a card — where it lives, so a later
    update finds it. `state="failed"`: a failure notice went out in the message's place.
    False when the lease was lost meanwhile (the new holder finishes the row)."""
    async with db.uow() as uow:
        done = await uow.execute(update(OutboxMessage).where(_held(row_id, owner)).values(
            state=state, sent_at=at, attempts=OutboxMessage.attempts + 1, lease_owner="",
            lease_until=None, platform_message_id=platform_message_id,
            **({"last_error": ""} if state == "sent" else {})))
        if done.rowcount != 1:
            return False
        if card_key and platform_message_id:
            ref = await _ref(uow, workspace_id, conversation, card_key)
            if ref is None:
                uow.add(MessageRef(workspace_id=workspace_id, conversation=conversation,
                                   card_key=card_key, platform_message_id=platform_message_id))
            else:
                ref.platform_message_id = platform_message_id
    return True


async def mark_retry(db: Database, *, row_id: int, owner: str, next_attempt_at: datetime,
                     error: str) -> bool:
    """Back to `pending`, due again at `next_attempt_at`."""
    async with db.uow() as uow:
        done = await uow.execute(update(OutboxMessage).where(_held(row_id, owner)).values(
            state="pending", next_attempt_at=next_attempt_at, lease_owner="", lease_until=None,
            attempts=OutboxMessage.attempts + 1, last_error=error[:2000]))
    return done.rowcount == 1


async def mark_failed(db: Database, *, row_id: int, owner: str, error: str) -> bool:
    """Given up for good: the row stays, `failed`, with its error (logged and counted)."""
    async with db.uow() as uow:
        done = await uow.execute(update(OutboxMessage).where(_held(row_id, owner)).values(
            state="failed", attempts=OutboxMessage.attempts + 1, lease_owner="",
            lease_until=None, last_error=error[:2000]))
    return done.rowcount == 1


async def replace_with_notice(db: Database, *, row_id: int, owner: str, error: str, now: datetime,
                              kind: str, payload: dict[str, Any]) -> bool:
    """A permanent failure: the row stays the chat's head but now carries a short notice in its
    place (the original kind, card key and payload kept under `payload["failed"]`), so the chat
    is told at this point in its sequence instead of silently skipping ahead."""
    async with db.uow() as uow:
        done = await uow.execute(update(OutboxMessage).where(_held(row_id, owner)).values(
            state="pending", kind=kind, card_key="", payload=payload, next_attempt_at=now,
            lease_owner="", lease_until=None, attempts=OutboxMessage.attempts + 1,
            last_error=error[:2000]))
    return done.rowcount == 1


async def release(db: Database, *, row_id: int, owner: str, now: datetime) -> None:
    """Put a claimed row back untouched (the worker stops mid-send): due at once again."""
    async with db.uow() as uow:
        await uow.execute(update(OutboxMessage).where(_held(row_id, owner)).values(
            state="pending", next_attempt_at=now, lease_owner="", lease_until=None))


async def retry_now(db: Database, *, platform: str, now: datetime) -> int:
    """A platform is back: its rows waiting out a back-off from the outage are due at once
    (everything sent within seconds of recovery, not after a minute of back-off)."""
    o = OutboxMessage
    async with db.uow() as uow:
        done = await uow.execute(update(o).where(
            o.state == _PENDING, o.next_attempt_at > now, o.platform == platform,
            o.attempts > 0).values(next_attempt_at=now))
    return done.rowcount or 0
