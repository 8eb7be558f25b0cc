"""The counter behind request, feedback and dispute numbers (`storage/counters.py`), and the
migration that brings it to a database numbered the old way."""
from __future__ import annotations

import asyncio
from urllib.parse import quote

from sqlalchemy import create_engine, text

from storage import counters
from storage.db import sync_url
from storage.migrate import upgrade


async def test_values_count_up_per_workspace_and_name_and_roll_back_with_their_transaction(db):
    async with db.uow() as uow:
        got = [await counters.next_value(uow, workspace_id="w1", name="request") for _ in range(3)]
        other = await counters.next_value(uow, workspace_id="w2", name="request")
        feedback = await counters.next_value(uow, workspace_id="w1", name="feedback:1")
    assert got == [1, 2, 3] and other == 1 and feedback == 1
    try:
        async with db.uow() as uow:
            assert await counters.next_value(uow, workspace_id="w1", name="request") == 4
            raise RuntimeError("the filing failed")
    except RuntimeError:
        pass
    async with db.uow() as uow:  # the failed filing gave its number back: no gap
        assert await counters.next_value(uow, workspace_id="w1", name="request") == 4


async def test_a_new_counter_starts_after_the_seed(db):
    async def seed() -> int:
        return 41
    async with db.uow() as uow:
        assert await counters.next_value(uow, workspace_id="w", name="dispute:9", seed=seed) == 42
        assert await counters.next_value(uow, workspace_id="w", name="dispute:9", seed=seed) == 43


async def test_concurrent_takers_get_distinct_values(db):
    async def take() -> int:
        async with db.uow() as uow:
            value = await counters.next_value(uow, workspace_id="w", name="request")
            await asyncio.sleep(0)  # hold the row a moment, as a filing does
            return value
    values = await asyncio.gather(*(take() for _ in range(30)))
    assert sorted(values) == list(range(1, 31))


async def test_the_migration_renumbers_twin_feedback_so_the_constraint_holds(database_url):
    url, schema = database_url
    if schema:
        url = f"{url}?options={quote(f'-csearch_path={schema}')}"
    await asyncio.to_thread(upgrade, url, "0001")
    engine = create_engine(sync_url(url))
    now = "2026-07-13 02:00:00"
    with engine.begin() as conn:  # two feedback #1 and a dispute #2 twice, as the unlocked code made them
        conn.execute(text("INSERT INTO workspace (id, platform, external_id, name, locale, timezone, country, settings, "
                          "org_version) VALUES ('local:demo', 'local', 'demo', '', 'zh-CN', 'Asia/Shanghai', 'CN', '{}', 1)"))
        conn.execute(text("INSERT INTO department (id, workspace_id, name) VALUES (1, 'local:demo', '产品部')"))
        conn.execute(text("INSERT INTO person (id, workspace_id, key, name, is_admin) VALUES (1, 'local:demo', 'sun', '孙浩', false)"))
        conn.execute(text(
            "INSERT INTO collab_request (id, workspace_id, number, title, goal, initiating_department_id, initiator_id, "
            "conversation, collaborating, content, standard, milestones, contacts, state, reason, created_at, "
            f"updated_at, lessons) VALUES (1, 'local:demo', 'XT-2026-001', 't', '', 1, 1, 'g1', '[]', '{{}}', '', '[]', "
            f"'{{}}', 'in_progress', '', '{now}', '{now}', '[]')"))
        for fid, seq in ((1, 1), (2, 1), (3, 2)):
            conn.execute(text(f"INSERT INTO feedback (id, request_id, seq, author_id, text, about_plan, created_at, answer) "
                              f"VALUES ({fid}, 1, {seq}, 1, 'x', false, '{now}', '')"))
        for did, seq in ((1, 2), (2, 2)):
            conn.execute(text(f"INSERT INTO dispute (id, request_id, seq, raised_by, departments, text, state, "
                              f"escalation_level, decision, raised_at) VALUES ({did}, 1, {seq}, 1, '[]', 'x', 'open', 1, '', '{now}')"))
    await asyncio.to_thread(upgrade, url)
    with engine.connect() as conn:
        feedback = conn.execute(text("SELECT id, seq FROM feedback ORDER BY id")).all()
        disputes = conn.execute(text("SELECT id, seq FROM dispute ORDER BY id")).all()
        active = conn.execute(text("SELECT active FROM person")).scalar_one()
    engine.dispose()
    assert [tuple(r) for r in feedback] == [(1, 1), (2, 3), (3, 2)]  # the later twin became #3
    assert [tuple(r) for r in disputes] == [(1, 2), (2, 3)]
    assert active in (True, 1)  # everyone the old import brought in is still listed
