"""The board's link service and read model, below HTTP: `/collab board`'s answer is a personal
link that verifies for that person and workspace only; the list computes overdue days and risk in
the workspace's time; a department's debts come most urgent first."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from harness import running_request
from workflows.board.context import board_context, person_by_key
from workflows.board.links import BadLink, sign, verify
from workflows.board.queries import department_owes, request_detail, request_rows
from workflows.board.scope import everyone, viewer_for
from workflows.board.service import board_link

NOW = datetime(2026, 7, 13, 2, 0, tzinfo=timezone.utc)


def test_a_link_verifies_until_it_expires_and_not_after_a_change():
    tok = sign(secret="s", workspace_id="slack:T1", person_key="li", now=NOW, ttl=timedelta(hours=24))
    grant = verify(tok, secret="s", now=NOW + timedelta(hours=23, minutes=59))
    assert (grant.workspace_id, grant.person_key) == ("slack:T1", "li")
    for bad, reason in ((None, "missing"), ("", "missing"), (tok + "x", "tampered"), ("a.b.c", "tampered")):
        with pytest.raises(BadLink) as caught:
            verify(bad, secret="s", now=NOW)
        assert caught.value.reason == reason
    with pytest.raises(BadLink) as caught:
        verify(tok, secret="s", now=NOW + timedelta(hours=24))
    assert caught.value.reason == "expired"
    with pytest.raises(BadLink):
        verify(tok, secret="other", now=NOW)
    with pytest.raises(ValueError):
        sign(secret="", workspace_id="w", person_key="p", now=NOW, ttl=timedelta(hours=1))


async def test_board_link_answers_the_person_privately_with_their_own_link(platform):
    async with platform.app.db.uow() as uow:
        ctx = await board_context(uow, workspace_id="local:demo", now=platform.app.clock.now())
        ctx.actor = person_by_key(ctx, "li")
        reply = board_link(ctx, base_url="https://collab.example.com/", secret="s3", ttl=timedelta(hours=24))
        unset = board_link(ctx, base_url="", secret="", ttl=timedelta(hours=24))
    assert reply.ok and "https://collab.example.com/board?t=" in reply.text
    assert "2026-07-14 10:00" in reply.text  # expiry in the workspace's zone (Asia/Shanghai)
    url = next(w for w in reply.text.split() if w.startswith("https://"))
    grant = verify(parse_qs(urlsplit(url).query)["t"][0], secret="s3", now=platform.app.clock.now())
    assert (grant.workspace_id, grant.person_key) == ("local:demo", "li")
    assert not unset.ok and "BOARD_SECRET" in unset.text


async def test_overdue_days_risk_and_what_a_department_owes(platform):
    await running_request(platform)  # 页面开发 (技术部) due 8/10, 视觉设计 (设计部) due 7/30
    await platform.say("lin", "/协作 问题 XT-2026-001 紧急 接口超时\n责任部门: 技术部")
    await platform.set_time(datetime(2026, 8, 12, 9, 0, tzinfo=timezone(timedelta(hours=8))))
    async with platform.app.db.uow() as uow:
        ctx = await board_context(uow, workspace_id="local:demo", now=platform.app.clock.now())
        [row] = await request_rows(ctx, viewer=everyone())
        detail = await request_detail(ctx, viewer=everyone(), number="xt-2026-001")
        tech = ctx.dept_by_name("技术部").id
        owed = await department_owes(ctx, viewer=everyone(), department=tech)
        guo = viewer_for(ctx, person_by_key(ctx, "guo"))
        hidden = await request_detail(ctx, viewer=guo, number="XT-2026-001")
        none_for_guo = await request_rows(ctx, viewer=guo)
        assert await request_rows(ctx, viewer=everyone(), state="rejected") == []
        assert await request_rows(ctx, viewer=everyone(), department=ctx.dept_by_name("客服部").id) == []
    # 2 open issues: 视觉设计, more than 3 working days late by 8/5, raised R11's built-in risk as one (R32)
    assert (row.number, row.overdue_days, row.risk, row.open_issues) == ("XT-2026-001", 0, "high", 2)
    assert [(t.title, t.overdue_days) for t in detail.tasks] == [("页面开发", 2), ("视觉设计", 13)]
    assert detail.issues[0].stage == 2 and detail.issues[0].age_hours == 30 * 24 - 1  # to the VP, 30 days less an hour old
    # the issue had its deadline (解决时限) on 7/14, the task on 8/10: both overdue
    assert [(o.kind, o.what, o.to, o.overdue_days) for o in owed] == [
        ("issue", "!1 接口超时", "设计部", 29), ("task", "#1 页面开发", "产品部", 2)]
    assert hidden is None and none_for_guo == []
