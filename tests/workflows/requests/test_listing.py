"""Issue 15: `/协作 列表` answers 20 requests a page with the way to the next page, in the
chat's language, instead of one 2,000-line reply."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from storage.tables import CollaborationRequest, Workspace
from workflows.clock import VirtualClock
from workflows.core import Core
from workflows.events import CommandInvoked, Tenant
from workflows.i18n import translator
from workflows.requests.listing import ListPage, ListRow, page_number, render_page
from core_support import demo_spec

DEMO_ORG = Path(__file__).resolve().parents[3] / "bot" / "data" / "demo_org.yaml"
T = Tenant("local", "demo")
NOW = datetime(2026, 7, 13, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
async def core(db):
    core = Core(db=db, clock=VirtualClock(NOW))
    await core.import_org(demo_spec())
    async with db.uow() as uow:  # 45 requests in g1, 5 in g2 (rows, not 50 filings: this is about reading)
        for n in range(1, 51):
            uow.add(CollaborationRequest(workspace_id="local:demo", number=f"XT-2026-{n:03d}", title=f"需求{n}",
                                         initiating_department_id=1, initiator_id=1,
                                         conversation="g2" if n % 10 == 0 else "g1", created_at=NOW, updated_at=NOW))
    return core


async def ask(core, text: str, chat: str = "g1") -> str:
    reply = await core.handle(CommandInvoked(tenant=T, actor="sun", conversation=chat, event_id=f"{chat}{text}", text=text))
    assert reply.ok, reply.text
    return reply.text


async def test_the_list_pages_by_twenty_with_the_next_page_named(core):
    first = (await ask(core, "列表")).splitlines()
    assert len(first) == 22 and first[0].startswith("XT-2026-001 · 需求1 ·")
    assert first[-2:] == ["第 1/3 页，共 45 条。", "下一页：/协作 列表 2"]
    last = (await ask(core, "列表 3")).splitlines()
    assert len(last) == 6 and last[-1] == "第 3/3 页，共 45 条。"  # no "next" on the last page
    assert "XT-2026-010" not in "\n".join(last)  # g2's request is not in g1's list
    beyond = await ask(core, "list 99")
    assert beyond.splitlines()[-1] == "第 3/3 页，共 45 条。"  # past the end: the last page


async def test_all_chats_and_english(core):
    async with core.db.uow() as uow:
        ws = await uow.get(Workspace, "local:demo")
        ws.locale, ws.org_version = "en", ws.org_version + 1
    text = (await ask(core, "list all 2")).splitlines()
    assert text[0].startswith("XT-2026-021") and text[-2:] == ["Page 2 of 3 (50 requests).",
                                                                "Next page: /collab list all 3"]
    assert (await ask(core, "list", chat="g2")).count("\n") == 4  # 5 requests: one page, no footer


def test_page_numbers_and_rendering_are_pure():
    assert [page_number(x) for x in ["", "2", "page 3", "第4页", "0", "全部"]] == [1, 2, 3, 4, 1, 1]
    page = ListPage(rows=[ListRow("XT-2026-001", "改版", "submitted", 1)], page=1, pages=1, total=1)
    assert render_page(page, t=translator("en"), dept_name=lambda d: "Tech") == "XT-2026-001 · 改版 · awaiting review · Tech"
    empty = ListPage(rows=[], page=1, pages=1, total=0)
    assert render_page(empty, t=translator("zh-CN"), dept_name=str) == "暂无协作需求。"
