"""Issue 14: numbers come from a counter taken under a lock — 50 filings at once all succeed with
distinct numbers (no retries), and concurrent feedback / disputes on one request never twin."""
from __future__ import annotations

import asyncio
import logging

import pytest
from sqlmodel import select

from core_support import demo_core, say
from storage.tables import CollaborationRequest, Dispute, Feedback

FILE = "new\ntitle: 详情页{n}\ngoal: 提升转化率\ndepts: 技术部、设计部\ndue: 8/15\nstandard: 页面加载时间≤2秒"


@pytest.fixture
async def core(db):
    return await demo_core(db)


async def rows(core, model):
    async with core.db.uow() as uow:
        return await uow.all(select(model))


async def test_fifty_concurrent_filings_all_succeed_with_distinct_numbers(core, caplog):
    caplog.set_level(logging.INFO, logger="collab.core")
    replies = await asyncio.gather(*(core.handle(say("sun", FILE.format(n=n), f"f{n}")) for n in range(50)))
    assert all(r.ok for r in replies), [r.text for r in replies if not r.ok][:3]
    numbers = sorted(r.number for r in await rows(core, CollaborationRequest))
    assert numbers == [f"XT-2026-{n:03d}" for n in range(1, 51)]
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]  # queued, never collided


async def test_concurrent_feedback_and_disputes_on_one_request_get_distinct_numbers(core):
    assert (await core.handle(say("sun", FILE.format(n=0), "f0"))).ok
    feedback = [core.handle(say("zheng", f"feedback XT-2026-001 第{n}条意见", f"fb{n}")) for n in range(10)]
    disputes = [core.handle(say("li", f"dispute XT-2026-001\ndesc: 分歧{n}\ndept: 设计部", f"d{n}"))
                for n in range(10)]
    replies = await asyncio.gather(*feedback, *disputes)
    assert all(r.ok for r in replies), [r.text for r in replies if not r.ok][:3]
    assert sorted(f.seq for f in await rows(core, Feedback)) == list(range(1, 11))
    assert sorted(d.seq for d in await rows(core, Dispute)) == list(range(1, 11))


async def test_the_counter_continues_after_rows_from_before_it(core):
    """A workspace upgraded with requests already filed: the counter starts after them."""
    assert (await core.handle(say("sun", FILE.format(n=1), "a1"))).ok
    async with core.db.uow() as uow:  # as if filed before counters existed
        await uow.execute(__import__("sqlalchemy").text("DELETE FROM counter"))
    reply = await core.handle(say("sun", FILE.format(n=2), "a2"))
    assert reply.ok and "XT-2026-002" in reply.text
