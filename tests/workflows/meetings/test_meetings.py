"""R29 the kick-off meeting and minutes through the local platform with a moved clock: the
initiating side records the kick-off (attendees invited, reminded 30 minutes before, the first
sync date announced that morning); minutes go to every involved department's head and their
action items become tracked items (R31) with their own reminders; the Friday 15:00 meeting's
minutes name the 14:30 weekly report as their agenda; the archive (R22) keeps them."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from harness import archived_request, running_request
from storage.tables import ActionItem, Meeting

SH = ZoneInfo("Asia/Shanghai")


def titled(messages: list[dict], words: str) -> list[dict]:
    return [m for m in messages if words in m["card"]["title"]]


async def test_kickoff_invites_reminds_and_its_minutes_become_tracked_action_items(platform):
    await running_request(platform)  # Mon 2026-07-13 10:00
    refused = await platform.say("zheng", "/协作 启动会 XT-2026-001\n时间: 7/14 15:00")
    assert refused["refused"]  # only the initiating side records the kick-off
    assert (await platform.say("sun", "/协作 启动会 XT-2026-001\n时间: 7/12 15:00"))["ok"] is False  # in the past
    recorded = await platform.say("sun", "/协作 启动会 XT-2026-001\n时间: 7/14 15:00\n地点: 3楼会议室\n"
                                         "参会: 王芳、李强、黄蕾、吴磊\n首次同步: 7/15")
    assert recorded["ok"] and "2026-07-14 15:00" in recorded["reply"]
    [invite] = titled(await platform.dms("wu"), "启动会")
    assert "3楼会议室" in str(invite["card"]) and "2026-07-15" in str(invite["card"])

    await platform.set_time(datetime(2026, 7, 14, 14, 29, tzinfo=SH))
    assert titled(await platform.dms("li"), "启动会将于") == []
    await platform.set_time(datetime(2026, 7, 14, 14, 30, tzinfo=SH))
    assert titled(await platform.dms("li"), "启动会将于 2026-07-14 15:00")
    assert titled(await platform.dms("zheng"), "启动会将于") == []  # not an attendee

    minutes = await platform.say("wu", "/协作 纪要 XT-2026-001\n决定: 7/20 前冻结接口定义\n"
                                       "行动项: 支付接口联调=吴磊=7/16；视觉稿评审=林琳=7/17")
    assert minutes["ok"] and "2 个行动项" in minutes["reply"]
    bad = await platform.say("wu", "/协作 纪要 XT-2026-001\n行动项: 没有日期=吴磊")
    assert bad["ok"] is False  # an item without owner and date is refused, nothing recorded
    for head in ("wang", "huang"):  # every involved department's head gets the minutes
        [sent] = titled(await platform.dms(head), "启动会纪要")
        assert "冻结接口定义" in str(sent["card"]) and "视觉稿评审" in str(sent["card"])
    assert titled(await platform.dms("lin"), "视觉稿评审")  # the item's owner hears of it

    await platform.set_time(datetime(2026, 7, 15, 9, 0, tzinfo=SH))
    assert titled(await platform.messages(), "首次同步")
    await platform.set_time(datetime(2026, 7, 16, 9, 30, tzinfo=SH))  # the minutes' item is due: reminded
    assert titled(await platform.dms("wu"), "支付接口联调")
    async with platform.app.db.uow() as uow:
        items = await uow.all(select(ActionItem))
        meeting = await uow.first(select(Meeting))
    assert [(i.title, i.task_id is None, i.meeting_id == meeting.id) for i in items] == [
        ("支付接口联调", True, True), ("视觉稿评审", True, True)]


async def test_friday_minutes_take_the_weekly_report_as_agenda_and_the_archive_keeps_them(platform):
    await running_request(platform)
    await platform.set_time(datetime(2026, 7, 17, 15, 40, tzinfo=SH))  # Friday, after the 14:30 report
    sent = await platform.say("li", "/collab minutes XT-2026-001 weekly\ndecisions: launch stays on 8/15\n"
                                    "items: load test=郑凯=7/22")
    assert sent["ok"], sent
    [minutes] = titled(await platform.dms("wang"), "周会纪要（2026-07-17）")
    assert "2026-07-13 起一周的周报" in str(minutes["card"]) and "load test" in str(minutes["card"])

    doc = await archived_request(platform)
    assert "会议纪要" in doc.markdown and "launch stays on 8/15" in doc.markdown and "load test" in doc.markdown
