"""R32's triggers beyond a date and a task going 延期, through the local platform with a moved
clock: R11 ("more than 3 working days late") is the register's built-in trigger — the register
shows the built-in risk, triggered, and it raises its issue like any other, with the people R11
tells told once; and a risk can watch an issue: still unresolved at its 解决时限, the risk
raises itself."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from harness import running_request
from storage.tables import AuditEvent, Issue, Person, Risk
from workflows.grammar.vocabulary import linked_issue

SH = ZoneInfo("Asia/Shanghai")


def titled(messages: list[dict], words: str) -> list[dict]:
    return [m for m in messages if words in m["card"]["title"]]


async def test_r11_is_a_builtin_risk_that_raises_its_issue_and_tells_each_person_once(platform):
    await running_request(platform)  # #2 视觉设计 (设计部, 林琳) due Thu 7/30
    # R9: 延期 on Fri 7/31 09:00; R11: more than 3 working days (7/31, 8/3, 8/4) → Wed 8/5 09:00
    await platform.set_time(datetime(2026, 8, 5, 8, 59, tzinfo=SH))
    group, wang, sun = (len(await platform.messages()), len(await platform.dms("wang")),
                        len(await platform.dms("sun")))
    assert (await platform.say("sun", "/协作 风险 XT-2026-001"))["card"]["text"] == "尚未登记风险。"
    await platform.set_time(datetime(2026, 8, 5, 9, 0, tzinfo=SH))

    new = (await platform.messages())[group:]
    [notice] = titled(new, "#2 延期超过3天")  # R11's notice is the built-in risk's card
    [issue_card] = titled(new, "风险 R1 已触发")  # … which raised its issue (R12)
    assert len(new) == 2
    assert "重新规划" in notice["card"]["text"] and "已转为问题 #1" in notice["card"]["footer"]
    for person, before in (("wang", wang), ("sun", sun)):  # the initiator and the initiating head: once
        [dm] = (await platform.dms(person))[before:]
        assert "延期超过3天" in dm["card"]["title"]
    register = (await platform.say("sun", "/协作 风险 XT-2026-001"))["card"]["text"]
    assert "R1 任务2「视觉设计」延期超过3天" in register and "内置" in register and "已触发" in register
    assert "视觉设计" in str(issue_card["card"]) and "重新规划" in str(issue_card["card"])

    async with platform.app.db.uow() as uow:
        risk = await uow.first(select(Risk))
        issue = await uow.first(select(Issue))
        lin = await uow.first(select(Person).where(Person.name == "林琳"))
        raised = await uow.first(select(AuditEvent).where(AuditEvent.action == "issue.raise"))
    assert (risk.builtin, risk.state, risk.issue_id, risk.owner_id) == ("late", "raised", issue.id, lin.id)
    assert issue.severity == "high" and issue.raised_by == lin.id and raised.actor_id is None  # the bot did it
    assert "风险 高" in (await platform.say("sun", "/协作 看板 XT-2026-001"))["card"]["text"]  # R11 as before

    [close] = await platform.buttons("risk.close")  # the built-in risk is handled like any other
    assert (await platform.click("wang", close))["ok"]
    await platform.set_time(datetime(2026, 8, 7, 14, 30, tzinfo=SH))  # R8 Friday: no longer listed as open
    weekly = titled(await platform.messages(), "周报")[-1]
    assert "风险 R1 任务2「视觉设计」" not in str(weekly["card"])  # its issue (#1) is still listed


@pytest.mark.parametrize("trigger, seq", [
    ("问题#2", 2), ("问题2未解决", 2), ("问题 ＃3 仍未解决", 3), ("issue #2 unresolved", 2), ("Issue#7", 7),
    ("legal issue 2 weeks out", None), ("发现2个问题", None), ("#1 延期", None), ("7/20", None),
])
def test_which_triggers_name_an_issue(trigger: str, seq: int | None) -> None:
    assert linked_issue(trigger) == seq


async def test_a_risk_watching_an_issue_raises_itself_when_that_issue_is_still_unresolved_at_its_deadline(platform):
    await running_request(platform)  # Mon 2026-07-13
    for desc in ("支付接口文档缺失", "图标授权待确认"):
        assert (await platform.say("wu", f"/协作 问题 XT-2026-001 {desc}\n责任部门: 技术部\n解决时限: 7/15 18:00"))["ok"]
    watch = await platform.say("sun", "/协作 风险 XT-2026-001\n描述: 接口联调无法开始\n责任部门: 技术部\n"
                                      "触发条件: 问题#1 未解决\n应对措施: 启用模拟接口\n影响: 高\n负责人: 吴磊")
    assert watch["ok"], watch["reply"]
    assert (await platform.say("huang", "/collab risk XT-2026-001\ndesc: icons late\ntrigger: issue #2 unresolved"))["ok"]
    unknown = await platform.say("sun", "/协作 风险 XT-2026-001\n描述: x\n触发条件: 问题#9 未解决")
    assert unknown["ok"] is False and "#9" in unknown["reply"]  # no such issue: nothing registered
    assert (await platform.say("wu", "/协作 解决 XT-2026-001#2 已取得授权"))["ok"]
    resolved = await platform.say("sun", "/协作 风险 XT-2026-001\n描述: x\n触发条件: 问题2")
    assert resolved["ok"] is False and "已解决" in resolved["reply"]  # nothing left to watch

    await platform.set_time(datetime(2026, 7, 15, 17, 59, tzinfo=SH))
    assert titled(await platform.messages(), "已触发") == []
    await platform.set_time(datetime(2026, 7, 15, 18, 0, tzinfo=SH))
    [raised] = titled(await platform.messages(), "风险 R1 已触发")
    assert "问题 #1" in str(raised["card"]) and "启用模拟接口" in str(raised["card"])
    assert titled(await platform.messages(), "风险 R2 已触发") == []  # its issue was resolved in time
    async with platform.app.db.uow() as uow:
        assert [(r.state, r.trigger_issue_id) for r in await uow.all(select(Risk).order_by(Risk.seq))] == [
            ("raised", 1), ("open", 2)]
