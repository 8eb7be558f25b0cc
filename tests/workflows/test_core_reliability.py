"""DESIGN rules 2, 3, 6 and 7 through the core itself: one effect per event id, one transition
per pair of concurrent clicks, refusals change nothing and leave an audit row, bad input gets a
clear answer in the user's language and writes nothing."""
from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlmodel import select

from core_support import DEMO_ORG, T, demo_core, demo_spec, say
from storage.tables import AuditEvent, CollaborationRequest, Confirmation, OutboxMessage
from workflows.clock import VirtualClock
from workflows.core import Core
from workflows.events import ActionInvoked

FILE = "new\ntitle: 新品详情页改版\ngoal: 提升转化率\ndepts: 技术部、设计部\ndue: 8/15\nstandard: 页面加载时间≤2秒"


@pytest.fixture
async def core(db):
    return await demo_core(db)


def click(user: str, action_id: str, value: dict, event_id: str) -> ActionInvoked:
    return ActionInvoked(tenant=T, actor=user, conversation="g1", event_id=event_id, action_id=action_id, value=value)


async def rows(core, model):
    async with core.db.uow() as uow:
        return await uow.all(select(model))


async def to_assigning(core) -> None:
    await core.handle(say("sun", FILE, "e1"))
    await core.handle(click("wang", "request.approve", {"r": 1}, "e2"))
    reply = await core.handle(say("sun", "assign XT-2026-001\ntask: 开发 | lead: 技术部 | owner: 郑凯 | due: 8/10 | standard: 页面加载时间≤2秒", "e3"))
    assert reply.ok, reply.text


async def test_the_same_event_delivered_twice_has_one_effect(core):
    first = await core.handle(say("sun", FILE, "slack-retry-1"))
    again = await core.handle(say("sun", FILE, "slack-retry-1"))
    assert first.ok and not first.duplicate
    assert again.duplicate
    assert len(await rows(core, CollaborationRequest)) == 1
    assert len([o for o in await rows(core, OutboxMessage) if o.kind == "post"]) == 1


async def test_two_concurrent_clicks_on_one_confirm_make_one_transition(core):
    await to_assigning(core)
    value = {"r": 1, "d": 4, "k": "raci:1"}  # 技术部
    a, b = await asyncio.gather(core.handle(click("li", "task.confirm", value, "c1")),
                                core.handle(click("li", "task.confirm", value, "c2")))
    assert sorted([a.ok, b.ok]) == [False, True]
    assert "已由 李强" in (a.text if not a.ok else b.text)
    assert len(await rows(core, Confirmation)) == 1
    assert [x.action for x in await rows(core, AuditEvent)].count("task.confirm") == 1


async def test_a_refused_click_changes_nothing_answers_privately_and_is_audited(core):
    await to_assigning(core)
    before = await rows(core, OutboxMessage)
    reply = await core.handle(click("huang", "task.confirm", {"r": 1, "d": 4}, "x1"))  # 设计部 head for 技术部
    assert reply.refused and not reply.ok and "技术部" in reply.text
    assert await rows(core, Confirmation) == []
    assert len(await rows(core, OutboxMessage)) == len(before)  # nothing said in the group
    refused = [a for a in await rows(core, AuditEvent) if a.action == "click.refused"]
    assert len(refused) == 1 and refused[0].detail["reason"] == "refused.confirm"


@pytest.mark.parametrize("text, expected", [
    ("新建\n名称: 一个名字非常非常非常非常非常非常长的协作需求\n协作部门: 技术部\n截止: 8/15", "不能超过 20 字"),
    ("新建\n名称: 改版\n背景与目标: " + "很" * 101 + "\n协作部门: 技术部\n截止: 8/15", "不能超过 100 字"),
    ("新建\n名称: 改版\n协作部门: 财务部\n截止: 8/15", "财务部"),
    ("新建\n名称: 改版\n协作部门: 技术部\n截止: 下下下周", "截止"),
    ("分工", "分工"),
    ("飞起来", "帮助"),
])
async def test_bad_input_gets_a_clear_answer_and_writes_nothing(core, text, expected):
    reply = await core.handle(say("sun", text, "bad"))
    assert not reply.ok and expected in reply.text, reply.text
    assert await rows(core, CollaborationRequest) == []
    assert await rows(core, AuditEvent) == []


async def test_vague_wording_is_flagged_not_silently_accepted(core):
    reply = await core.handle(say("sun", FILE.replace("页面加载时间≤2秒", "尽快上线，差不多就行"), "v"))
    assert reply.ok and "尽快" in reply.text and "差不多" in reply.text and "可衡量" in reply.text


async def test_an_unknown_person_is_named(core):
    reply = await core.handle(say("U_STRANGER", FILE, "u"))
    assert not reply.ok and "U_STRANGER" in reply.text


async def test_english_workspace_answers_in_english(core):
    async with core.db.uow() as uow:
        from storage.tables import Workspace
        ws = await uow.get(Workspace, "local:demo")
        ws.locale = "en"
    reply = await core.handle(say("sun", "new\ntitle: x\ndepts: Finance\ndue: 8/15", "en1"))
    assert "No department \"Finance\"" in reply.text


async def test_a_deadline_in_a_year_without_an_official_schedule_warns_the_admins_once(core):
    for r in (1, 2):  # two requests, each with 2030 deadlines (R9/R10/R11 timers)
        await core.handle(say("sun", FILE.replace("due: 8/15", "due: 2030-03-01"), f"y{r}a"))
        await core.handle(click("wang", "request.approve", {"r": r}, f"y{r}b"))
        reply = await core.handle(say("sun", f"assign XT-2026-00{r}\ntask: 开发 | lead: 技术部 | owner: 郑凯 | due: 2030-02-25 | standard: 页面加载时间≤2秒",
                                      f"y{r}c"))
        assert reply.ok, reply.text
        for head, dept in (("wang", 2), ("li", 4), ("huang", 5)):
            assert (await core.handle(click(head, "task.confirm", {"r": r, "d": dept}, f"y{r}{head}"))).ok
    warnings = [o for o in await rows(core, OutboxMessage) if o.kind == "dm" and "2030" in o.payload["card"]["title"]]
    assert len(warnings) == 1 and warnings[0].conversation == "zhao"  # the demo org's admin


async def test_the_archive_is_one_readable_file_plus_every_table_as_json_and_csv(db, tmp_path):
    core = Core(db=db, clock=VirtualClock(datetime(2026, 7, 13, 10, tzinfo=ZoneInfo("Asia/Shanghai"))),
                archive_dir=tmp_path)
    await core.import_org(demo_spec())
    await to_assigning(core)
    for head, dept in (("wang", 2), ("li", 4), ("huang", 5)):
        assert (await core.handle(click(head, "task.confirm", {"r": 1, "d": dept}, f"a{head}"))).ok
    steps = [("zheng", "deliver XT-2026-001\ndeliverables: 上线包\nchecks: 页面加载时间≤2秒=yes"),
             ("sun", "accept XT-2026-001 pass")]
    for n, (who, text) in enumerate(steps):
        assert (await core.handle(say(who, text, f"s{n}"))).ok
    for head, dept in (("wang", 2), ("li", 4)):
        assert (await core.handle(click(head, "completion.confirm", {"r": 1, "d": dept}, f"c{head}"))).ok
    reply = await core.handle(say("sun", "archive XT-2026-001", "arch"))
    name = "2026年Q3新品详情页改版协作计划_产品部"
    assert name in reply.text
    folder = tmp_path / name
    markdown = (folder / f"{name}.md").read_text(encoding="utf-8")
    assert markdown.startswith(f"# {name}") and "验收结果表" in markdown and "· 归档" in markdown  # the audit trail, in words
    assert (folder / f"{name}.json").exists()
    assert "department_id" in (folder / "confirmations.csv").read_text(encoding="utf-8")
    assert "acceptance.pass" in (folder / "audit_trail.csv").read_text(encoding="utf-8")


async def test_an_org_change_takes_effect_on_the_next_click_despite_the_org_cache(core):
    await to_assigning(core)
    spec = yaml.safe_load(DEMO_ORG.read_text(encoding="utf-8"))
    for dept in spec["departments"]:
        if dept["name"] == "技术部":
            dept["head"] = "zheng"  # 郑凯 becomes head of 技术部
    await core.import_org(demo_spec(spec))
    refused = await core.handle(click("li", "task.confirm", {"r": 1, "d": 4}, "o1"))
    assert refused.refused
    assert (await core.handle(click("zheng", "task.confirm", {"r": 1, "d": 4}, "o2"))).ok


async def test_a_click_after_the_database_dropped_its_connection_still_goes_through(core, db):
    """No pre-ping round trip per event (issue 15): a pooled connection the server closed
    (a restart, an idle timeout) is found dead by the click itself, which then runs once more
    on a fresh connection — the person sees the approval, not "try again"."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server to drop a connection")
    from sqlalchemy import text

    await core.handle(say("sun", FILE, "e1"))
    async with db.engine.connect() as conn:  # the pool's one connection, checked out and back
        pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() == pid
    admin = type(db)(db.url)  # another session ends exactly that backend, as a restart would
    async with admin.engine.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await admin.dispose()
    reply = await core.handle(click("wang", "request.approve", {"r": 1}, "e2"))
    assert reply.ok and "XT-2026-001" in reply.text
    assert [r.state for r in await rows(core, CollaborationRequest)] == ["approved"]
