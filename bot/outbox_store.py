"""The outbox rows' SQL after the claim (`bot/outbox_claim.py`): leases and finishing.

A run's rows are finished together, in one transaction per chat (`finish`): each row as its
send ended — sent, retried later, replaced by a failure notice, failed, or put back untouched —
and then the chat's head moves to its first open row under the chat row's lock, so row N+1
never overtakes row N — nor a row whose transaction committed later. One chat per transaction:
a writer adding rows to several chats locks them in its own order, and a finish holding two
chat rows could deadlock with it.

Every finishing statement is guarded by the owner: a worker that lost its lease cannot overwrite
rows another worker now holds. At-least-once: a row may go out twice if a worker died after the
platform accepted it and before its finish committed; Feishu's `uuid` idempotency key absorbs
that.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from sqlalchemy import and_, bindparam, literal_column, update
from sqlmodel import select

from storage.db import Database, UnitOfWork
from storage.statements import upsert_of
from storage.tables import MessageRef, OutboxChat, OutboxMessage

# literal, not bound: a partial index is usable only when its predicate is visible in the SQL
OPEN = (literal_column("'pending'"), literal_column("'sending'"))
SENDING = literal_column("'sending'")
_T = OutboxMessage.__table__  # Core: one executemany for a run's rows, no ORM objects


def real_now() -> datetime:
    """Leases run on real time, whatever the workflow clock says (a demo's clock jumps)."""
    return datetime.now(timezone.utc)


@dataclass
class Outcome:
    """How one claimed row ended this attempt (`state`): `sent` (a failure notice that went out
    ends `failed`), `retry` or `notice` (due again at `at`), `failed` (given up), `release`
    (never tried: put back as it was, due at `at` when given)."""

    row: OutboxMessage
    state: str
    at: datetime | None = None
    platform_message_id: str = ""
    error: str = ""
    kind: str = ""  # notice: the notice's kind and payload
    payload: dict[str, Any] | None = None


# The statements every run's finish executes, built once with bound parameters (issue 15:
# building one afresh cost more CPU than its round trip). Parameter names differ from the
# columns': an UPDATE's SET takes a column's name for its own.

def of_chat(row: OutboxMessage | OutboxChat) -> dict[str, str]:
    """The parameters of `chat_is()` for a row's (or a chat's) conversation."""
    return {"of_ws": row.workspace_id, "of_platform": row.platform, "of_conv": row.conversation}


def chat_is() -> Any:
    h = OutboxChat
    return and_(h.workspace_id == bindparam("of_ws"), h.platform == bindparam("of_platform"),
                h.conversation == bindparam("of_conv"))


def _held() -> Any:
    """Rows of `:of_ids` that this worker (`:of_owner`) still holds."""
    o = OutboxMessage
    return and_(o.id.in_(bindparam("of_ids", expanding=True)), o.state == SENDING,
                o.lease_owner == bindparam("of_owner"))


@functools.cache
def _holding(postgres: bool) -> Any:
    stmt = select(OutboxMessage.id).where(_held())
    return stmt.with_for_update() if postgres else stmt


@functools.cache
def _renewing() -> Any:
    return update(OutboxMessage).where(_held()).values(lease_until=bindparam("to_until"))


@functools.cache
def _reheading(postgres: bool) -> tuple[Any, Any, Any]:
    """`rehead`'s three statements: lock the chat row, find its first open row, move the head."""
    h, o = OutboxChat, OutboxMessage
    lock = select(h.head_id).where(chat_is())
    first_open = (select(o.id, o.state, o.next_attempt_at)
                  .where(o.workspace_id == bindparam("of_ws"), o.platform == bindparam("of_platform"),
                         o.conversation == bindparam("of_conv"), o.state.in_(OPEN))
                  .order_by(o.id).limit(1))
    move = update(h).where(chat_is()).values(head_id=bindparam("to_head"), due_at=bindparam("to_due"))
    return (lock.with_for_update() if postgres else lock), first_open, move


async def rehead(uow: UnitOfWork, row: OutboxMessage) -> None:
    """The chat's first open row becomes its head (due when it is pending; NULL while it is
    being sent; none when nothing is open). The chat row is locked first, so a writer adding a
    row to this chat right now either committed before (its row is seen here) or links its row
    after (it finds no head)."""
    lock, first_open, move = _reheading(uow.is_postgres)
    chat = of_chat(row)
    await uow.execute(lock, chat)
    nxt = (await uow.execute(first_open, chat)).first()
    due = nxt.next_attempt_at if nxt is not None and nxt.state == "pending" else None
    await uow.execute(move, {**chat, "to_head": nxt.id if nxt else None, "to_due": due})


@functools.cache
def _ending(state: str) -> Any:
    """A run's rows that went out, ended as `state` (sent, or failed: a failure notice)."""
    return _T.update().where(_T.c.id == bindparam("oid")).values(
        state=state, sent_at=bindparam("at"), attempts=_T.c.attempts + 1, lease_owner="",
        lease_until=None, platform_message_id=bindparam("mid"),
        **({"last_error": ""} if state == "sent" else {}))


async def _apply(uow: UnitOfWork, o: Outcome) -> None:
    """The rarer endings, one statement each."""
    values: dict[str, Any] = dict(lease_owner="", lease_until=None)
    if o.state != "release":
        values.update(attempts=OutboxMessage.attempts + 1, last_error=o.error[:2000])
    if o.state in ("retry", "release"):
        values.update(state="pending", **({"next_attempt_at": o.at} if o.at else {}))
    elif o.state == "notice":
        values.update(state="pending", kind=o.kind, card_key="", payload=o.payload,
                      next_attempt_at=o.at)
    else:
        values.update(state="failed")
    await uow.execute(update(OutboxMessage).where(OutboxMessage.id == o.row.id).values(**values))


@functools.cache
def _remembering(dialect: str) -> Any:
    t = MessageRef.__table__
    stmt = upsert_of(dialect, t)
    return stmt.on_conflict_do_update(
        index_elements=[t.c.workspace_id, t.c.conversation, t.c.card_key],
        set_={"platform_message_id": stmt.excluded.platform_message_id})


async def _remember_cards(uow: UnitOfWork, sent: list[Outcome]) -> None:
    """Where each card now lives, so a later update edits it (the last post of a key wins):
    one upsert for the run, on the (workspace, conversation, card key) unique constraint."""
    latest = {o.row.card_key: o.platform_message_id for o in sent
              if o.row.card_key and o.platform_message_id}
    if not latest:
        return
    row = sent[0].row
    await uow.execute(_remembering(uow.dialect),
                      [{"workspace_id": row.workspace_id, "conversation": row.conversation,
                        "card_key": key, "platform_message_id": message_id}
                       for key, message_id in latest.items()])


async def finish(db: Database, *, owner: str, outcomes: list[Outcome]) -> set[int]:
    """Write how one chat's claimed rows ended, in one transaction, and move the chat's head.
    Rows this worker no longer holds (its lease was lost) are left alone; the ids written."""
    if not outcomes:
        return set()
    async with db.uow() as uow:
        ids = set((await uow.execute(_holding(uow.is_postgres), {
            "of_ids": sorted(o.row.id for o in outcomes), "of_owner": owner})).scalars())
        mine = [o for o in outcomes if o.row.id in ids]
        if not mine:
            return set()
        sent = [o for o in mine if o.state == "sent"]
        for state in ("sent", "failed"):  # a failure notice that went out ends `failed`
            group = [o for o in sent if ("failed" in o.row.payload) == (state == "failed")]
            if group:
                await uow.execute(_ending(state), [
                    {"oid": o.row.id, "at": o.at, "mid": o.platform_message_id} for o in group])
        for o in mine:
            if o.state != "sent":
                await _apply(uow, o)
        await rehead(uow, mine[0].row)
        await _remember_cards(uow, sent)
    return ids


async def renew(db: Database, *, row_ids: Iterable[int], owner: str,
                lease_seconds: float) -> int:
    """Extend the lease of a run's rows; how many this worker still holds (fewer: taken over)."""
    async with db.uow() as uow:
        done = await uow.execute(_renewing(), {
            "of_ids": sorted(row_ids), "of_owner": owner,
            "to_until": real_now() + timedelta(seconds=lease_seconds)})
    return done.rowcount or 0


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
