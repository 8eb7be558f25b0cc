"""A direct message needs the person's user id on the workspace's platform: on Slack or Feishu
someone the org file names but who was never linked (no id, no email the platform knows) gets
no message row that could only fail, and the gap is logged (the local platform's own user ids:
tests/adapters/local/test_local_org.py)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import yaml
from sqlmodel import select

from slack_bot import ORG, TEAM
from storage.tables import OutboxMessage, Workspace
from workflows.kernel import outbox
from workflows.cards import Card
from workflows.clock import VirtualClock
from workflows.kernel.context import Ctx
from workflows.core import Core
from workflows.org import parse_org

NOW = datetime(2026, 7, 13, 2, 0, tzinfo=timezone.utc)


async def ping_everyone(db, workspace_id: str, keys: list[str]) -> list[tuple[str, str]]:
    async with db.uow() as uow:
        ctx = Ctx(uow=uow, workspace=await uow.get(Workspace, workspace_id), now=NOW)
        await ctx.load_org()
        for key in keys:
            outbox.direct(ctx, person_id=ctx.person_by_name(key).id, card=Card(title="升级提醒"),
                          escalation="head")
    async with db.uow() as uow:
        return [(r.kind, r.conversation) for r in await uow.all(select(OutboxMessage))]


async def test_a_person_with_no_slack_id_gets_no_undeliverable_dm(db, caplog):
    await Core(db=db, clock=VirtualClock(NOW)).import_org(parse_org(yaml.safe_load(ORG)))
    with caplog.at_level(logging.WARNING, logger="collab.outbox"):
        rows = await ping_everyone(db, f"slack:{TEAM}", ["liu", "zhao"])
    assert rows == [("urgent", "U_LIU")]  # 赵总 has an email but no Slack id linked yet
    assert "no slack user id for 赵总" in caplog.text

