"""R26: a deadline in a year whose official holiday schedule is not published yet is an
estimate, and the workspace admins are told once a year. Every deadline counts — including
timers written before something else in the same transaction flushed them to the database
(a plan change cancels and re-schedules each task's timers, then reads the sign-offs)."""
from __future__ import annotations

import pytest
from sqlmodel import select

from core_support import T, demo_core, say
from storage.tables import OutboxMessage
from workflows.events import ActionInvoked

FILE = "new\ntitle: 新品详情页改版\ngoal: 提升转化率\ndepts: 技术部\ndue: 8/15\nstandard: 页面加载时间≤2秒"
HEADS = (("wang", 2), ("li", 4))  # 产品部, 技术部


def click(user: str, action_id: str, value: dict, event_id: str) -> ActionInvoked:
    return ActionInvoked(tenant=T, actor=user, conversation="g1", event_id=event_id, action_id=action_id, value=value)


@pytest.fixture
async def core(db):
    return await demo_core(db)


async def estimate_warnings(core) -> list[OutboxMessage]:
    async with core.db.uow() as uow:
        return [o for o in await uow.all(select(OutboxMessage))
                if o.kind == "dm" and "2027" in o.payload["card"]["title"]]


async def test_a_plan_change_into_an_estimated_year_warns_the_admins(core):
    assert (await core.handle(say("sun", FILE, "e1"))).ok
    assert (await core.handle(click("wang", "request.approve", {"r": 1}, "e2"))).ok
    assert (await core.handle(say("sun", "assign XT-2026-001\ntask: 开发 | lead: 技术部 | owner: 郑凯 | due: 8/10 | "
                                         "standard: 页面加载时间≤2秒", "e3"))).ok
    for head, dept in HEADS:
        assert (await core.handle(click(head, "task.confirm", {"r": 1, "d": dept}, f"c{head}"))).ok
    assert await estimate_warnings(core) == []
    reply = await core.handle(say("wang", "change XT-2026-001\nreason: 供应商推迟\ndue: 2027-03-01\ntasks: 1=2027-02-25", "e4"))
    assert reply.ok, reply.text
    for head, dept in HEADS:
        assert (await core.handle(click(head, "change.approve", {"c": 1, "d": dept}, f"a{head}"))).ok, head
    [warning] = await estimate_warnings(core)  # the new task dates are in 2027: an estimate
    assert warning.conversation == "zhao"  # the demo org's admin
