"""`/协作 看板` on a deployment with a board: a personal link, privately, that opens the board."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


from harness import running_request, start_platform, stop_platform


async def test_the_board_command_answers_a_personal_link_that_opens_the_board(database_url) -> None:
    url, schema = database_url
    started = await start_platform(url, schema, start=datetime(2026, 7, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
                                   board_base_url="http://board.example", board_secret="s3cret")
    platform = started[0]
    try:
        await running_request(platform)
        answer = await platform.say("zheng", "/协作 看板 XT-2026-001")
        assert answer["ok"] and "http://board.example/board/r/XT-2026-001?t=" in answer["reply"], answer
        link = answer["reply"].split("http://board.example", 1)[1].split()[0]
        page = await platform.http.get(link)
        assert page.status_code == 200 and "XT-2026-001" in page.text
        forged = await platform.http.get(link[:-3] + "xyz")
        assert forged.status_code == 401 and "XT-2026-001" not in forged.text
    finally:
        await stop_platform(*started)
