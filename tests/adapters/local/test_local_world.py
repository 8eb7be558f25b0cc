"""Issue 14, "the demo keeps its world": after a restart the chats are still there, a card posted
before it can still be clicked and updated, and the virtual clock resumes where it stood."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from harness import start_platform, stop_platform

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 7, 13, 10, 0, tzinfo=SH)
FILE = ("/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率\n协作部门: 技术部、设计部\n"
        "截止: 8/15\n交付标准: 页面加载时间≤2秒")


async def test_a_restart_keeps_the_chats_the_cards_and_the_time(database_url):
    url, schema = database_url
    started = await start_platform(url, schema, start=START)
    platform = started[0]
    try:
        await platform.say("sun", FILE)
        await platform.advance(90)
        before = await platform.messages()
        approve = (await platform.buttons("request.approve"))[0]
    finally:
        await stop_platform(*started)

    # a new process: a fresh clock at the demo's start date, the same database
    started = await start_platform(url, schema, start=datetime(2026, 7, 1, 9, 0, tzinfo=SH), import_org=False)
    platform = started[0]
    try:
        now = (await platform.http.get("/local/clock")).json()["now"]
        assert datetime.fromisoformat(now) == START + timedelta(minutes=90)
        assert [m["id"] for m in await platform.messages()] == [m["id"] for m in before]
        answer = await platform.click("wang", approve)  # the card from before the restart
        assert answer["ok"], answer
        card = next(m for m in await platform.messages() if m["id"] == approve["message_id"])
        assert "request.approve" not in [b["action_id"] for b in card["card"]["buttons"]]
        rows = await platform.http.get("/local/chats")
        assert rows.json()["chats"] == ["g1"]
        # nothing the worker sent after the restart failed ("no message m1")
        failed = await platform.app.db.engine.connect()
        try:
            from sqlalchemy import text
            states = (await failed.execute(text("SELECT state, last_error FROM outbox_message"))).all()
        finally:
            await failed.close()
        assert all(state == "sent" for state, _ in states), states
        # moving time is kept too
        await platform.advance(30)
    finally:
        await stop_platform(*started)
    started = await start_platform(url, schema, start=START, import_org=False)
    try:
        now = (await started[0].http.get("/local/clock")).json()["now"]
        assert datetime.fromisoformat(now) == START + timedelta(minutes=120)
    finally:
        await stop_platform(*started)
