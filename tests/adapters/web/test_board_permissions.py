"""R22/R25 through signed links over real HTTP: the board on `serve` shows a person only the
requests their departments are involved in (admins and VPs everything); a missing, forged,
foreign or expired link gets a clear 401 page, a page that is not theirs a 403 — never data."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
import openpyxl
import pytest
from starlette.applications import Starlette

from adapters.web.board import BoardWeb
from asgi_server import serve
from harness import running_request
from workflows.board.links import sign

SECRET = "a-long-random-secret-for-tests"
OTHER = ("/协作 新建\n名称: 618 大促联合活动\n背景与目标: GMV 提升 30%\n发起部门: 市场部\n协作部门: 销售部、客服部\n"
         "截止: 9/20\n交付标准: 活动页上线")


@pytest.fixture
async def board(platform):
    """XT-2026-001 (产品部 → 技术部, 设计部, running) and XT-2026-002 (市场部 → 销售部, 客服部), and
    the board as `serve` runs it: links required."""
    await running_request(platform)
    filed = await platform.say("xu", OTHER, chat="g2")
    assert "XT-2026-002" in filed["reply"], filed
    web = BoardWeb(db=platform.app.db, clock=platform.app.clock, secret=SECRET)
    async with serve(Starlette(routes=web.routes())) as base, \
            httpx.AsyncClient(base_url=base, timeout=10) as http:
        yield platform, http


def token(platform, person: str, *, hours: float = 24, ago: float = 0, secret: str = SECRET,
          workspace: str = "local:demo") -> str:
    now = platform.app.clock.now() - timedelta(hours=ago)
    return sign(secret=secret, workspace_id=workspace, person_key=person, now=now, ttl=timedelta(hours=hours))


async def test_a_person_sees_only_requests_their_departments_are_in(board):
    platform, http = board
    seen = {}
    for person in ("zheng", "guo", "zhao", "wang"):
        page = await http.get("/board", params={"t": token(platform, person)})
        assert page.status_code == 200
        seen[person] = {n for n in ("XT-2026-001", "XT-2026-002") if n in page.text}
    assert seen == {"zheng": {"XT-2026-001"}, "guo": {"XT-2026-002"},  # 技术部 / 客服部
                    "zhao": {"XT-2026-001", "XT-2026-002"}, "wang": {"XT-2026-001"}}  # admin+VP / 产品部 head
    mine = await http.get("/board/r/XT-2026-001", params={"t": token(platform, "zheng")})
    assert mine.status_code == 200 and "页面开发" in mine.text and 'class="gantt"' in mine.text
    theirs = await http.get("/board/r/XT-2026-001", params={"t": token(platform, "guo")})
    assert theirs.status_code == 403
    assert "无权查看" in theirs.text and "页面开发" not in theirs.text and "新品详情页改版" not in theirs.text


async def test_missing_forged_foreign_and_expired_links_get_401_and_no_data(board):
    platform, http = board
    good = token(platform, "zhao")
    body, mac = good.split(".")
    cases = {
        "missing": None,
        "tampered": f"{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{mac}",
        "another secret": token(platform, "zhao", secret="not-the-server-secret"),
        "expired": token(platform, "zhao", hours=24, ago=25),
        "garbage": "not-a-token",
    }
    for name, bad in cases.items():
        for path in ("/board", "/board/r/XT-2026-001", "/board/export.csv", "/board/r/XT-2026-001/export.xlsx"):
            r = await http.get(path, params={"t": bad} if bad else {})
            assert r.status_code == 401, (name, path, r.status_code)
            assert "XT-2026" not in r.text and "新品详情页改版" not in r.text, (name, path)
    expired = await http.get("/board", params={"t": cases["expired"], "lang": "en"})
    assert "Link expired" in expired.text and "/collab board" in expired.text
    # a link for a workspace that does not exist, or a person no longer in the org
    for bad in (token(platform, "zhao", workspace="slack:T0NOPE"), token(platform, "nobody")):
        r = await http.get("/board", params={"t": bad})
        assert r.status_code == 403 and "XT-2026" not in r.text
    assert (await http.get("/board", params={"t": good})).status_code == 200


async def test_exports_and_the_department_view_respect_the_same_rules(board):
    platform, http = board
    rows = list(csv.reader(io.StringIO((await http.get(
        "/board/export.csv", params={"t": token(platform, "guo")})).content.decode("utf-8-sig"))))
    assert rows[0][0] == "编号" and [r[0] for r in rows[1:]] == ["XT-2026-002"]
    xlsx = await http.get("/board/r/XT-2026-001/export.xlsx", params={"t": token(platform, "li")})
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    gantt = book[book.sheetnames[0]]
    assert [c.value for c in gantt[1]][:4] == ["序号", "任务", "负责部门", "负责人"]
    assert [row[1] for row in gantt.iter_rows(min_row=2, values_only=True)] == ["页面开发", "视觉设计"]
    assert "审计" in "".join(book.sheetnames) or "操作记录" in book.sheetnames
    forbidden = await http.get("/board/r/XT-2026-001/export.csv", params={"t": token(platform, "guo")})
    assert forbidden.status_code == 403 and "页面开发" not in forbidden.text

    org = (await platform.http.get("/local/org")).json()
    tech = 1 + [d["name"] for d in org["departments"]].index("技术部")
    owes = await http.get(f"/board/d/{tech}", params={"t": token(platform, "li")})
    assert owes.status_code == 200 and "页面开发" in owes.text and "产品部" in owes.text
    assert (await http.get(f"/board/d/{tech}", params={"t": token(platform, "guo")})).status_code == 403


async def test_the_board_speaks_both_languages_and_the_switch_keeps_the_link(board):
    platform, http = board
    t = token(platform, "li")
    zh = await http.get("/board/r/XT-2026-001", params={"t": t})
    assert "甘特图" in zh.text and "操作记录" in zh.text
    switch = zh.text.split('class="lang" href="')[1].split('"')[0].replace("&amp;", "&")
    en = await http.get(switch)
    assert en.status_code == 200 and "Gantt chart" in en.text and "Audit trail" in en.text
    assert "Viewing as 李强" in en.text
