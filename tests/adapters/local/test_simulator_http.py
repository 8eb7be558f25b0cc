"""The simulator page and its helpers over plain HTTP: the page in the workspace's language (or
the one asked for), the clock buttons' local-time arithmetic by the workspace calendar, the open
demo board, and bad ids answered 400 rather than reaching the database."""
from __future__ import annotations

from datetime import datetime


async def test_the_page_speaks_the_workspace_language_and_links_the_board(platform):
    zh = await platform.http.get("/")
    assert zh.status_code == 200 and "协作模拟器" in zh.text and "/static/sim/sim.js" in zh.text
    assert '"timezone": "Asia/Shanghai"' in zh.text
    en = await platform.http.get("/", params={"lang": "en"})
    assert "Collaboration simulator" in en.text and "Next working day 09:00" in en.text
    assert (await platform.http.get("/static/sim/sim.js")).status_code == 200
    board = await platform.http.get("/board", params={"lang": "en"})
    assert board.status_code == 200 and "Cross-department progress board" in board.text  # no link needed


async def test_clock_helpers_use_the_workspace_calendar_and_zone(platform):
    # Fri 2026-07-17 → the next working day is Monday 7/20, 09:00 in Asia/Shanghai
    await platform.set_time(datetime.fromisoformat("2026-07-17T18:00:00+08:00"))
    nxt = (await platform.http.get("/sim/time", params={"next_workday": "1"})).json()["at"]
    assert datetime.fromisoformat(nxt) == datetime.fromisoformat("2026-07-20T09:00:00+08:00")
    typed = (await platform.http.get("/sim/time", params={"local": "2026-07-21T14:30"})).json()["at"]
    assert datetime.fromisoformat(typed) == datetime.fromisoformat("2026-07-21T14:30:00+08:00")
    for bad in ("", "tomorrow", "0001-01-01T00:00", "9999-12-31T23:59"):
        r = await platform.http.get("/sim/time", params={"local": bad})
        assert r.status_code == 400, bad


async def test_ids_no_platform_would_give_are_a_400(platform):
    for path in ("/local/chats/g%001/messages", "/local/users/" + "x" * 300 + "/messages"):
        assert (await platform.http.get(path)).status_code == 400
    for number in ("XT%00-1", "XT-2026-999"):  # no such request: a page that says so, no 500
        r = await platform.http.get(f"/board/r/{number}")
        assert r.status_code == 403 and "无权查看" in r.text
