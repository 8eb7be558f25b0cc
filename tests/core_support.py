"""The core alone, without HTTP: the demo org on a virtual clock at Mon 2026-07-13 10:00
Asia/Shanghai, and typed commands as the local platform hands them in."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from adapters.registry import complete_org
from storage.db import Database
from workflows.clock import VirtualClock
from workflows.core import Core
from workflows.events import CommandInvoked, Tenant
from workflows.org import OrgSpec, parse_org

DEMO_ORG = Path(__file__).resolve().parents[1] / "bot" / "data" / "demo_org.yaml"
T = Tenant("local", "demo")
START = datetime(2026, 7, 13, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


def demo_spec(data: dict | None = None) -> OrgSpec:
    """The demo org (or `data`, an org document) as `collab-bot` reads it: completed by its
    platform's adapter (on the local platform the org keys are the user ids)."""
    return parse_org(data if data is not None else yaml.safe_load(DEMO_ORG.read_text(encoding="utf-8")),
                     complete=complete_org)


async def demo_core(db: Database) -> Core:
    core = Core(db=db, clock=VirtualClock(START))
    await core.import_org(demo_spec())
    return core


def say(user: str, text: str, event_id: str) -> CommandInvoked:
    return CommandInvoked(tenant=T, actor=user, conversation="g1", event_id=event_id, text=text)
