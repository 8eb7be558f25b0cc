"""R14 the 2-hour rule and the scheduler's side of it, through the local platform over HTTP
(real scheduler, core and delivery worker): a clock that jumps past both steps escalates to the
head and then the VP in one sweep, and /metrics shows how late. The 12:00 / 14:00 /
acknowledged-in-time cases are in `test_escalation.py`, the restart in `test_deadlines.py`."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from storage.tables import AuditEvent

SH = ZoneInfo("Asia/Shanghai")
DAY = (2026, 7, 13)  # the platform fixture starts Mon 2026-07-13 10:00 Asia/Shanghai
HEAD, VP = "li", "zhao"  # 技术部's head, the supervising VP
FILE = """/协作 新建
名称: 新品详情页改版
背景与目标: 提升详情页转化率10%
协作部门: 技术部、设计部
截止: 8/15
交付标准: 页面加载时间≤2秒
时间节点: 需求确认 7/20；正式上线 8/15
具体协作内容: 技术部=开发页面与接口；设计部=视觉稿"""


def at(hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(*DAY, hh, mm, ss, tzinfo=SH)


async def raise_urgent_issue(platform) -> dict:
    assert "XT-2026-001" in (await platform.say("sun", FILE))["reply"]
    raised = await platform.say("lin", "/协作 问题 XT-2026-001 紧急 接口超时\n责任部门: 技术部")
    assert raised["ok"], raised
    return (await platform.buttons("issue.ack"))[0]


async def urgent_pings(platform, user: str) -> list[dict]:
    return [m for m in await platform.dms(user) if m["urgent"]]


async def escalations(platform) -> list[str]:
    async with platform.app.db.uow() as uow:
        rows = await uow.all(select(AuditEvent).where(AuditEvent.action.like("issue.escalate%")))
    return [r.action for r in rows]


async def test_a_jump_past_both_deadlines_escalates_to_head_then_vp_in_one_sweep(platform):
    await raise_urgent_issue(platform)
    await platform.set_time(at(15, 0))  # e.g. the demo moves the clock five hours at once
    assert len(await urgent_pings(platform, HEAD)) == 1
    assert len(await urgent_pings(platform, VP)) == 1
    assert await escalations(platform) == ["issue.escalate.head", "issue.escalate.vp"]
    # the lateness the operator sees: the head step 3 h late (due 12:00), the VP's 1 h (14:00)
    lateness = platform.app.metrics.timer_lateness
    assert lateness._sum.get() == 3 * 3600 + 1 * 3600
