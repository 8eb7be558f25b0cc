"""The board's list pages (issue 15): not every request of the workspace on one page — 50 a
page, newest first, with previous / next links that keep the filters, each person's pages made
of the requests they may see (R25) only."""
from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlmodel import select
from starlette.applications import Starlette

from adapters.web.board import BoardWeb
from asgi_server import serve
from storage.tables import CollaborationRequest, Department, Person
from workflows.board.context import board_context, person_by_key
from workflows.board.queries import request_rows_page
from workflows.board.scope import viewer_for
from workflows.board.links import sign

SECRET = "a-long-random-secret-for-tests"
NUMBERS = re.compile(r">(XT-2026-\d{3})<")


async def file_requests(db, clock, count: int) -> None:
    """XT-2026-001…: even ones 产品部 → 技术部, odd ones 市场部 → 客服部."""
    async with db.uow() as uow:
        dept = {d.name: d.id for d in await uow.all(select(Department))}
        people = {p.key: p.id for p in await uow.all(select(Person))}
        for n in range(1, count + 1):
            even = n % 2 == 0
            uow.add(CollaborationRequest(
                workspace_id="local:demo", number=f"XT-2026-{n:03d}", title=f"需求{n}",
                initiating_department_id=dept["产品部" if even else "市场部"],
                initiator_id=people["sun" if even else "xu"], conversation="g1",
                collaborating=[dept["技术部" if even else "客服部"]], state="in_progress",
                created_at=clock.now(), updated_at=clock.now()))


async def test_the_board_pages_through_the_requests_a_person_may_see(platform):
    await file_requests(platform.app.db, platform.app.clock, 130)
    web = BoardWeb(db=platform.app.db, clock=platform.app.clock, secret=SECRET)
    async with serve(Starlette(routes=web.routes())) as base, \
            httpx.AsyncClient(base_url=base, timeout=10) as http:
        for person, numbers in (("zhao", range(130, 0, -1)), ("zheng", range(130, 0, -2))):
            link = "/board?" + httpx.QueryParams(t=sign(
                secret=SECRET, workspace_id="local:demo", person_key=person, now=platform.app.clock.now(),
                ttl=timedelta(hours=1)), state="open").__str__()
            pages: list[list[str]] = []
            while link:
                page = await http.get(link.replace("&amp;", "&"))
                assert page.status_code == 200
                pages.append(NUMBERS.findall(page.text))
                assert ("state=open" in page.text) and (len(pages) == 1) == ('rel="prev"' not in page.text)
                found = re.search(r'<a rel="next" href="([^"]+)"', page.text)
                link = found.group(1) if found else ""
            assert [len(p) for p in pages] == [50] * (len(numbers) // 50) + [len(numbers) % 50]
            assert sum(pages, []) == [f"XT-2026-{n:03d}" for n in numbers]  # newest first, each once
        back = await http.get(link or "/board", params={"t": sign(
            secret=SECRET, workspace_id="local:demo", person_key="zhao", now=platform.app.clock.now(),
            ttl=timedelta(hours=1)), "page": "2"})
        assert 'rel="prev"' in back.text and "第 2 页" in back.text
        assert NUMBERS.findall(back.text)[0] == "XT-2026-080"
        bad = await http.get("/board", params={"t": sign(
            secret=SECRET, workspace_id="local:demo", person_key="zhao", now=platform.app.clock.now(),
            ttl=timedelta(hours=1)), "page": "-3x"})
        assert bad.status_code == 200 and NUMBERS.findall(bad.text)[0] == "XT-2026-130"  # the first page


async def test_a_page_reads_in_batches_until_it_is_full(platform):
    await file_requests(platform.app.db, platform.app.clock, 23)
    async with platform.app.db.uow() as uow:
        ctx = await board_context(uow, workspace_id="local:demo", now=platform.app.clock.now())
        zheng = viewer_for(ctx, person_by_key(ctx, "zheng"))
        first = await request_rows_page(ctx, viewer=zheng, size=5, batch=3)
        third = await request_rows_page(ctx, viewer=zheng, size=5, page=3, batch=3)
        beyond = await request_rows_page(ctx, viewer=zheng, size=5, page=4, batch=3)
    assert [r.number for r in first.rows] == [f"XT-2026-{n:03d}" for n in (22, 20, 18, 16, 14)] and first.has_next
    assert [r.number for r in third.rows] == ["XT-2026-002"] and not third.has_next
    assert beyond.rows == [] and not beyond.has_next
