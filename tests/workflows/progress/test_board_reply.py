"""`/协作 看板` in a chat with many requests and no web board (issue 15): one screen of them, and
the way to all of them page by page — not a 2,000-line reply."""
from __future__ import annotations

from sqlmodel import select

from core_support import demo_core, say
from storage.tables import CollaborationRequest, Department, Person


async def test_the_chat_board_lists_one_screen_and_says_how_many_more(db):
    core = await demo_core(db)
    async with db.uow() as uow:
        tech = (await uow.first(select(Department).where(Department.name == "技术部"))).id
        sun = (await uow.first(select(Person).where(Person.key == "sun"))).id
        for n in range(1, 26):
            uow.add(CollaborationRequest(
                workspace_id="local:demo", number=f"XT-2026-{n:03d}", title=f"需求{n}", initiating_department_id=tech,
                initiator_id=sun, conversation="g1", collaborating=[tech], state="in_progress",
                created_at=core.clock.now(), updated_at=core.clock.now()))
    reply = await core.handle(say("sun", "看板", "e-board"))
    lines = reply.text.splitlines()
    assert [line.split()[0] for line in lines[:20]] == [f"XT-2026-{n:03d}" for n in range(1, 21)]
    assert len(lines) == 21 and "还有 5 项" in lines[-1] and "/协作 列表" in lines[-1]
