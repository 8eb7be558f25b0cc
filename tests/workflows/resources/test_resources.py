"""R33 资源需求表 through the local platform: each department declares its own needs (and what
it has available); the roll-up before the initial review names the initiating head and flags a
need beyond what was declared available; the initiating side sends it to the VP, who alone
approves on a card; approved resources no longer change; the archive (R22) keeps them."""
from __future__ import annotations

from sqlmodel import select

from storage.tables import AuditEvent


def titled(messages: list[dict], words: str) -> list[dict]:
    return [m for m in messages if words in m["card"]["title"]]


async def test_needs_roll_up_are_flagged_over_availability_and_go_to_the_vp(platform):
    await platform.say("sun", "/协作 新建\n名称: 新品详情页改版\n背景与目标: 8月15日前转化率提升至5%\n协作部门: 技术部、设计部\n"
                              "截止: 8/15\n交付标准: 页面加载时间≤2秒")
    assert (await platform.say("zheng", "/协作 资源 XT-2026-001\n人员: 3\n人天: 20\n预算: 5000\n工具: 测试机2台"))["ok"]
    assert (await platform.say("li", "/collab resources XT-2026-001 available\npeople: 2\ndays: 30\nbudget: 8000"))["ok"]
    assert (await platform.say("lin", "/协作 资源 XT-2026-001\n人员: 1\n人天: 5"))["ok"]
    assert (await platform.say("lin", "/协作 资源 XT-2026-001\n人天: 很多"))["ok"] is False  # not a number
    assert (await platform.say("guo", "/协作 资源 XT-2026-001\n人员: 9"))["refused"]  # 客服部 is not involved

    [card] = titled(await platform.messages(), "资源需求表")
    text = str(card["card"])
    assert "技术部" in text and "超出可用：人员" in text and "人天" not in text.split("超出可用：")[1][:4]
    assert "设计部" in text and "4 人 · 25 人天" in text  # the total
    assert any(m["name"] == "王芳" for m in card["card"]["mentions"])  # before R4, the initiating head sees it

    submit = (await platform.buttons("resources.submit"))[0]
    assert (await platform.click("zheng", submit))["refused"]
    assert (await platform.click("sun", submit))["ok"]
    [ask] = titled(await platform.dms("zhao"), "待分管副总审批")
    approve = next(b for b in ask["card"]["buttons"] if b["action_id"] == "resources.approve")
    assert (await platform.click("wang", {**approve, "message_id": ask["id"]}, chat="zhao"))["refused"]
    approved = await platform.click("zhao", {**approve, "message_id": ask["id"]}, chat="zhao")
    assert approved["ok"] and "批准" in approved["reply"]
    assert (await platform.click("zhao", {**approve, "message_id": ask["id"]}, chat="zhao"))["ok"] is False
    assert (await platform.say("zheng", "/协作 资源 XT-2026-001\n人员: 4"))["ok"] is False  # approved: frozen
    shown = await platform.say("sun", "/协作 资源 XT-2026-001")
    assert "赵总" in shown["card"]["footer"]
    async with platform.app.db.uow() as uow:
        actions = [a.action for a in await uow.all(select(AuditEvent))]
    assert {"resources.need", "resources.available", "resources.submit", "resources.approve"} <= set(actions)
