"""The outbox rows' SQL for the delivery worker: claim in order per conversation, finish.

Claiming takes only the *head* of each conversation — a due row with no earlier row of the same
conversation still pending or being sent — so row N+1 never overtakes row N (DESIGN rule 5).
A claimed row becomes `sending` with a lease (`next_attempt_at` = now + lease): if the worker
dies mid-send, the row is due again when the lease runs out (at-least-once; Feishu's `uuid`
idempotency key absorbs the repeat where the platform has one). On PostgreSQL the claim is
`FOR UPDATE SKIP LOCKED`, so replicas share the queue; SQLite's `BEGIN IMMEDIATE` serialises.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Collection

from sqlalchemy import and_, func, or_, update
from sqlmodel import select

from storage.db import Database
from storage.tables import MessageRef, OutboxMessage, Workspace

OPEN_STATES = ("pending", "sending")


@dataclass
class Claimed:
    """One claimed row plus what the adapter needs that is not on the row."""

    row: OutboxMessage
    workspace_external_id: str
    ref_message_id: str = ""  # kind=update: the platform message the card lives in


def _claim_statement(*, now: datetime, limit: int, real_due: Collection[int],
                     exclude: Collection[int], postgres: bool):
    """A conversation's head is its lowest open id; only a due head may go. Finding the heads
    with one GROUP BY keeps a claim cheap when a busy chat has a long backlog: the correlated
    "no earlier open row" check it replaces walked the chat's sent rows for every open row —
    2 s per claim (SQLite) at 4 000 open and 2 000 sent rows in one chat, holding the write lock;
    this takes 5 ms."""
    o = OutboxMessage
    heads = (select(func.min(o.id)).where(o.state.in_(OPEN_STATES))
             .group_by(o.workspace_id, o.platform, o.conversation))
    due = o.next_attempt_at <= now
    if real_due:
        due = or_(due, and_(o.state == "pending", o.id.in_(sorted(real_due))))
    stmt = select(o).where(o.id.in_(heads), o.state.in_(OPEN_STATES), due)
    if exclude:
        stmt = stmt.where(o.id.not_in(sorted(exclude)))
    stmt = stmt.order_by(o.id).limit(limit)
    if postgres:
        stmt = stmt.with_for_update(skip_locked=True, of=o)
    return stmt


async def claim(db: Database, *, now: datetime, limit: int, lease_seconds: float,
                real_due: Collection[int] = (), exclude: Collection[int] = (),
                workspaces: dict[str, str] | None = None) -> list[Claimed]:
    """Claim up to `limit` conversation heads that are due (by the clock, or by the worker's
    real-time back-off in `real_due`); `workspaces` caches id → external id across calls."""
    cache = workspaces if workspaces is not None else {}
    async with db.uow() as uow:
        rows = await uow.all(_claim_statement(now=now, limit=limit, real_due=real_due,
                                              exclude=exclude, postgres=uow.is_postgres))
        claimed: list[Claimed] = []
        for row in rows:
            row.state = "sending"
            row.next_attempt_at = now + timedelta(seconds=lease_seconds)
            if row.workspace_id not in cache:
                ws = await uow.get(Workspace, row.workspace_id)
                cache[row.workspace_id] = ws.external_id if ws else ""
            ref = ""
            if row.kind == "update" and row.card_key:
                found = await _ref(uow, row.workspace_id, row.conversation, row.card_key)
                ref = found.platform_message_id if found else ""
            claimed.append(Claimed(row, cache[row.workspace_id], ref))
    return claimed


async def _ref(uow, workspace_id: str, conversation: str, card_key: str) -> MessageRef | None:
    return await uow.first(select(MessageRef).where(
        MessageRef.workspace_id == workspace_id, MessageRef.conversation == conversation,
        MessageRef.card_key == card_key))


async def mark_sent(db: Database, *, row_id: int, at: datetime, platform_message_id: str,
                    workspace_id: str = "", conversation: str = "", card_key: str = "") -> None:
    """Sent: keep the platform's message id, and — for a card — where it lives, so a later
    update finds it. One UPDATE, no row load: this runs once per message."""
    async with db.uow() as uow:
        await uow.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row_id).values(
                state="sent", sent_at=at, attempts=OutboxMessage.attempts + 1,
                platform_message_id=platform_message_id, last_error=""))
        if card_key and platform_message_id:
            ref = await _ref(uow, workspace_id, conversation, card_key)
            if ref is None:
                uow.add(MessageRef(workspace_id=workspace_id, conversation=conversation,
                                   card_key=card_key, platform_message_id=platform_message_id))
            else:
                ref.platform_message_id = platform_message_id


async def mark_retry(db: Database, *, row_id: int, next_attempt_at: datetime, error: str) -> None:
    """Back to `pending`, due again at `next_attempt_at`."""
    async with db.uow() as uow:
        await uow.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row_id).values(
                state="pending", next_attempt_at=next_attempt_at,
                attempts=OutboxMessage.attempts + 1, last_error=error[:2000]))


async def mark_failed(db: Database, *, row_id: int, error: str) -> None:
    """Given up: the row stays, `failed`, with its error (logged and counted by the caller)."""
    async with db.uow() as uow:
        await uow.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row_id).values(
                state="failed", attempts=OutboxMessage.attempts + 1, last_error=error[:2000]))


async def release(db: Database, *, row_id: int, now: datetime) -> None:
    """Put a claimed row back untouched (the worker stops mid-send): due at once again."""
    async with db.uow() as uow:
        row = await uow.get(OutboxMessage, row_id)
        if row is not None and row.state == "sending":
            row.state, row.next_attempt_at = "pending", now
