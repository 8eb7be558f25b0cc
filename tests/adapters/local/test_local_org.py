"""On the local platform a person's user id is their org key: that convention belongs to the
local adapter (`adapters/local/org.py`), which completes an org file of its workspace before it
is checked — the core (`workflows/org`) knows no platform's conventions."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from adapters.registry import complete_org
from bot.app import load_org_file
from slack_bot import ORG, TEAM
from storage.tables import OutboxMessage, Workspace
from workflows.cards import Card
from workflows.clock import VirtualClock
from workflows.core import Core
from workflows.kernel import outbox
from workflows.kernel.context import Ctx
from workflows.org import OrgError, parse_org

NOW = datetime(2026, 7, 13, 2, 0, tzinfo=timezone.utc)
LOCAL = ORG.replace(f"platform: slack, id: {TEAM}", "platform: local, id: demo")
WORKFLOWS = Path(__file__).resolve().parents[3] / "workflows"


async def test_on_the_local_platform_the_org_key_is_the_user_id(db, tmp_path):
    (tmp_path / "org.yaml").write_text(LOCAL, encoding="utf-8")
    await Core(db=db, clock=VirtualClock(NOW)).import_org(load_org_file(tmp_path / "org.yaml"))
    async with db.uow() as uow:
        ctx = Ctx(uow=uow, workspace=await uow.get(Workspace, "local:demo"), now=NOW)
        await ctx.load_org()
        for key in ("liu", "zhao"):  # 赵总 has no identity in the file at all
            outbox.direct(ctx, person_id=ctx.person_by_name(key).id, card=Card(title="升级提醒"), escalation="head")
    async with db.uow() as uow:
        assert [(r.kind, r.conversation) for r in await uow.all(select(OutboxMessage))] == [
            ("urgent", "liu"), ("urgent", "zhao")]


def test_an_id_the_file_gives_wins_and_a_derived_id_is_checked_like_a_given_one():
    data = yaml.safe_load(LOCAL)
    data["people"][1]["identities"] = {"local": "boss"}  # 刘敏 signs in as "boss" here
    spec = parse_org(data, complete=complete_org)
    assert {p.id: p.identities["local"] for p in spec.people}["liu"] == "boss"
    data["people"][1]["identities"] = {"local": "chen"}  # … but "chen" is 陈静's own key
    with pytest.raises(OrgError) as caught:
        parse_org(data, complete=complete_org)
    assert "local id 'chen' already belongs to liu" in str(caught.value)


def test_other_platforms_files_are_left_as_they_are():
    spec = parse_org(yaml.safe_load(ORG), complete=complete_org)
    assert all("local" not in p.identities for p in spec.people)


def test_the_core_knows_no_platform_by_name():
    """No `== "local"` (or any platform's name in a comparison) in the workflows."""
    found = [f"{path.relative_to(WORKFLOWS)}:{n}" for path in WORKFLOWS.rglob("*.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"""[=!]=\s*["'](local|slack|feishu|dingtalk)["']""", line)]
    assert found == []
