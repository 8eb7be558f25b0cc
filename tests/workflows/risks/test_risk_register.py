"""R32 the risk register through the local platform with a moved clock: a risk with its
department, countermeasure, trigger, probability/impact and owner; a date trigger raises it as
an issue (R12) that morning; a condition someone sees is raised by hand, by the right people
only; the Friday report (R8) lists the risks still open; the archive (R22) keeps the register."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from harness import archived_request, running_request
from storage.tables import AuditEvent, Issue, Person, Risk

SH = ZoneInfo("Asia/Shanghai")


def titled(messages: list[dict], words: str) -> list[dict]:
    return [m for m in messages if words in m["card"]["title"]]


async def test_a_date_trigger_raises_the_risk_as_an_issue_and_the_weekly_report_lists_open_risks(platform):
    await running_request(platform)  # Mon 2026-07-13
    added = await platform.say("wu", "/协作 风险 XT-2026-001\n描述: 第三方支付接口可能延期\n责任部门: 技术部\n"
                                     "应对措施: 准备备用接口\n触发条件: 7/20\n可能性: 中\n影响: 高\n负责人: 吴磊")
    assert added["ok"] and "R1" in added["reply"]
    english = await platform.say("huang", "/collab risk XT-2026-001\ndesc: icon set licence unclear\ndept: 设计部\n"
                                          "trigger: legal says no\nprobability: low\nimpact: medium")
    assert english["ok"] and "R2" in english["reply"]
    bad = await platform.say("wu", "/协作 风险 XT-2026-001\n描述: x\n可能性: 很大")
    assert bad["ok"] is False and "可能性" in bad["reply"]  # not a level: nothing registered
    [card] = titled(await platform.messages(), "风险 R1")
    fields = {f["label"]: f["value"] for f in card["card"]["fields"]}
    assert (fields["可能性"], fields["影响"], fields["负责人"], fields["应对措施"]) == ("中", "高", "吴磊", "准备备用接口")
    register = await platform.say("sun", "/协作 风险 XT-2026-001")
    assert "R1 第三方支付接口可能延期" in register["card"]["text"] and "R2 icon set licence unclear" in register["card"]["text"]

    # R8: Friday 14:30, the weekly report lists both open risks
    await platform.set_time(datetime(2026, 7, 17, 14, 30, tzinfo=SH))
    [weekly] = titled(await platform.messages(), "周报")
    assert "风险 R1 第三方支付接口可能延期" in str(weekly["card"]) and "风险 R2" in str(weekly["card"])

    # the trigger date: the risk raises itself as an issue owned by its owner's department
    await platform.set_time(datetime(2026, 7, 20, 8, 59, tzinfo=SH))
    assert titled(await platform.messages(), "风险 R1 已触发") == []
    await platform.set_time(datetime(2026, 7, 20, 9, 0, tzinfo=SH))
    [issue] = titled(await platform.messages(), "风险 R1 已触发")
    assert "准备备用接口" in str(issue["card"])  # the countermeasure is the suggested solution
    async with platform.app.db.uow() as uow:
        risk = await uow.first(select(Risk).where(Risk.seq == 1))
        raised = await uow.first(select(Issue))
        assert risk.state == "raised" and risk.issue_id == raised.id and raised.severity == "high"
        actions = {a.action: a.actor_id for a in await uow.all(select(AuditEvent))}
        wu = await uow.first(select(Person).where(Person.name == "吴磊"))
    assert {"risk.add", "risk.trigger", "issue.raise"} <= set(actions)
    # raised in the owner's name (the issue's 提出人), but the trail says the bot did it, at 09:00
    assert raised.raised_by == wu.id and actions["issue.raise"] is None and actions["risk.trigger"] is None
    again = (await platform.buttons("risk.trigger"))  # R1's card no longer offers the trigger
    assert len(again) == 1  # only R2's


async def test_a_condition_is_raised_by_hand_by_the_right_people_and_the_archive_keeps_the_register(platform):
    await running_request(platform)
    await platform.say("sun", "/协作 风险 XT-2026-001 上线窗口被占用\n触发条件: 运维通知窗口冲突\n负责人: 孙浩")
    [trigger] = await platform.buttons("risk.trigger")
    refused = await platform.click("zheng", trigger)  # neither the owner nor a head nor the initiating side
    assert refused["refused"] and "孙浩" in refused["reply"]
    raised = await platform.click("sun", trigger)
    assert raised["ok"] and "#1" in raised["reply"]
    assert (await platform.click("sun", trigger))["ok"] is False  # already raised: once only
    [close] = await platform.buttons("risk.close")
    assert (await platform.click("wang", close))["ok"]

    # R19–R22: deliver, pass, both sides confirm, archive — the register is in the archive
    doc = await archived_request(platform)
    assert "风险应对与沟通机制表" in doc.markdown and "R1 上线窗口被占用" in doc.markdown
    assert doc.data["risks"][0]["state"] == "closed"


async def test_a_risk_whose_trigger_is_a_task_going_delayed_raises_itself_when_it_does(platform):
    await running_request(platform)  # task #1 页面开发 due 8/10 (郑凯), #2 视觉设计 due 7/30 (林琳)
    assert (await platform.say("li", "/协作 风险 XT-2026-001\n描述: 开发延误拖累上线\n触发条件: #1 延期\n影响: 高"))["ok"]
    assert (await platform.say("huang", "/collab risk XT-2026-001\ndesc: visuals slip\ntrigger: task 2 delayed"))["ok"]
    assert (await platform.say("li", "/协作 风险 XT-2026-001\n描述: x\n触发条件: #9 延期"))["ok"] is False  # no task 9
    assert (await platform.say("lin", "/协作 状态 XT-2026-001#2 延期"))["ok"]  # by hand (R9)
    [visuals] = titled(await platform.messages(), "风险 R2 已触发")
    assert "视觉设计" in str(visuals["card"])
    assert titled(await platform.messages(), "风险 R1 已触发") == []
    await platform.set_time(datetime(2026, 8, 11, 9, 0, tzinfo=SH))  # #1 past due → 延期 (R9, next working day)
    [dev] = titled(await platform.messages(), "风险 R1 已触发")
    assert "页面开发" in str(dev["card"])
    async with platform.app.db.uow() as uow:
        rows = await uow.all(select(Risk).order_by(Risk.seq))
    # … and #2, more than 3 working days late on the way, entered R11's built-in risk (R3)
    assert [(r.state, r.builtin) for r in rows] == [("raised", ""), ("raised", ""), ("raised", "late")]
