"""Warn the workspace admins before DingTalk's monthly OpenAPI quota runs out (issue 12).

Every replica counts its own calls (`Quota`); `flush` adds them to the month's shared count in
the database (`counter` row `dingtalk.api_calls.<YYYY-MM>`, one UPDATE … RETURNING, so replicas
and restarts add up) and, when that total reaches a warning level (`DINGTALK_QUOTA_WARN_AT`, by
default 80 % and 95 % of `DINGTALK_MONTHLY_QUOTA`) or DingTalk said the quota is spent, queues a
direct message to each admin of every DingTalk workspace, in the workspace's language, through
the outbox. Each warning goes once per workspace and month: a `job_run` row
(`dingtalk.quota.<level>`, the month) is inserted in the same transaction and its unique key
makes a second insert — another replica, a restart — a no-op.

A flush runs in the background after sends (never in the send's way: a database failure here
only keeps the calls for the next flush) and when the adapter stops.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from sqlmodel import select

from adapters.dingtalk.quota import Quota
from adapters.i18n import translator
from storage import counters
from storage.db import Database, UnitOfWork
from storage.tables import JobRun, Person, PersonIdentity, Workspace
from workflows.cards import Card, CardField
from workflows.kernel.outbox import card_payload, queue

log = logging.getLogger(__name__)
PLATFORM = "dingtalk"
SCOPE = "dingtalk"  # the counter's scope: the quota is the app's organisation's, not a workspace's


class QuotaWatch:
    def __init__(self, *, quota: Quota, db: Database, now: Callable[[], datetime]) -> None:
        self.quota, self.db, self.now = quota, db, now
        self.running = False

    async def flush(self) -> int:
        """Add this process's calls to the month's count; queue the warnings now due. Returns
        the number of direct messages queued."""
        month, calls = self.quota.take()
        spent = self.quota.spent
        if not calls and not spent:
            return 0
        try:
            async with self.db.uow() as uow:
                total = await counters.add(uow, workspace_id=SCOPE, name=f"dingtalk.api_calls.{month}",
                                           amount=calls)
                levels = [str(p) for p in self.quota.reached(total)] + (["spent"] if spent else [])
                queued = await self._warn(uow, month=month, levels=levels, total=total)
        except Exception:  # noqa: BLE001 — the database is down: count these calls next time
            self.quota.give_back(month, calls)
            log.warning("DingTalk: the month's API calls could not be counted; next flush", exc_info=True)
            return 0
        self.quota.settle(month, total)
        return queued

    async def _warn(self, uow: UnitOfWork, *, month: str, levels: list[str], total: int) -> int:
        if not levels:
            return 0
        queued = 0
        for ws in await uow.all(select(Workspace).where(Workspace.platform == PLATFORM)):
            for level in levels:
                if not await _first_time(uow, job=f"dingtalk.quota.{level}", workspace_id=ws.id,
                                         month=month, now=self.now()):
                    continue
                admins = await _admins(uow, ws.id)
                card = warning_card(level=level, used=total, limit=self.quota.limit, month=month,
                                    locale=ws.locale)
                log.warning("DingTalk quota: %s of %s calls in %s (%s); %d admin(s) told",
                            total, self.quota.limit, month, level, len(admins),
                            extra={"workspace_id": ws.id})
                now = self.now()
                for user in admins:
                    queue(uow, workspace_id=ws.id, platform=PLATFORM, conversation=user, kind="dm",
                          payload=card_payload(card, user=user), now=now)
                    queued += 1
        return queued


def warning_card(*, level: str, used: int, limit: int, month: str, locale: str) -> Card:
    """The admins' warning in the workspace's language (pure: tested on its own)."""
    t = translator(PLATFORM, locale)
    if level == "spent":
        return Card(title=t("dingtalk.quota.spent_title"), tone="danger",
                    text=t("dingtalk.quota.spent_text", month=month),
                    fields=[CardField(t("dingtalk.quota.used"), f"{used} / {limit}")])
    return Card(title=t("dingtalk.quota.warn_title", percent=level), tone="warning",
                text=t("dingtalk.quota.warn_text", used=used, limit=limit, left=max(0, limit - used),
                       month=month),
                fields=[CardField(t("dingtalk.quota.used"), f"{used} / {limit}")])


async def _first_time(uow: UnitOfWork, *, job: str, workspace_id: str, month: str,
                      now: datetime) -> bool:
    """Insert the warning's `job_run` marker; False when it was there already."""
    table = JobRun.__table__  # type: ignore[attr-defined]
    stmt = (uow.upsert(table).values(job=job, workspace_id=workspace_id, period=month, status="done",
                          ran_at=now)
            .on_conflict_do_nothing().returning(table.c.id))
    return (await uow.execute(stmt)).scalar_one_or_none() is not None


async def _admins(uow: UnitOfWork, workspace_id: str) -> list[str]:
    """The DingTalk staff ids of the workspace's active admins."""
    rows = await uow.execute(
        select(PersonIdentity.external_id).join(Person, Person.id == PersonIdentity.person_id)
        .where(Person.workspace_id == workspace_id, Person.is_admin, Person.active,
               PersonIdentity.workspace_id == workspace_id)
        .order_by(PersonIdentity.external_id))
    return [r[0] for r in rows]
