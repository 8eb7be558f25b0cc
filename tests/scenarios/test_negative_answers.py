"""No silent no: 驳回 (R4) and 拒绝 a plan change (R17) ask for the reason first; it is recorded,
shown on the card and sent to the side that must act. Plan changes come from the initiating
department's head or liaison, one at a time."""
from __future__ import annotations

from harness import running_request

FILE = "/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率10%\n协作部门: 技术部\n截止: 8/15\n交付标准: 页面加载时间≤2秒"


async def test_rejecting_a_request_asks_why_and_tells_the_initiator(platform) -> None:
    await platform.say("sun", FILE)
    reject = (await platform.buttons("request.reject"))[0]
    asked = await platform.click("wang", reject)
    form = asked["form"]["form"]
    assert form["form_id"] == "request.reject" and form["inputs"][0]["required"]
    assert "待初审" in (await platform.messages())[0]["text"]  # nothing changed yet
    empty = await platform.submit("wang", "request.reject", {"reason": " "}, context=form["value"])
    assert empty["ok"] is False and empty["errors"] == {"reason": "请写明原因。"}
    done = await platform.submit("wang", "request.reject", {"reason": "目标不可衡量"}, context=form["value"])
    assert done["ok"], done
    card = (await platform.messages())[0]
    assert "已驳回" in card["text"] and "目标不可衡量" in card["text"] and card["card"]["buttons"] == []
    [told] = [m for m in await platform.dms("sun") if "未通过初审" in m["card"]["title"]]
    assert "王芳" in told["text"] and "目标不可衡量" in told["text"]


async def test_plan_changes_come_from_the_initiating_side_one_at_a_time_and_rejections_say_why(platform) -> None:
    await running_request(platform)
    refused = await platform.say("zheng", "/协作 变更 XT-2026-001\n原因: 开发延后\n截止: 8/30")
    assert refused["refused"] and "产品部" in refused["reply"]
    assert (await platform.say("zhou", "/协作 变更 XT-2026-001\n原因: 开发延后\n截止: 8/30"))["ok"]
    second = await platform.say("wang", "/协作 变更 XT-2026-001\n原因: 再延后\n截止: 9/10")
    assert second["ok"] is False and "#1" in second["reply"]

    reject = (await platform.buttons("change.reject"))[0]
    form = (await platform.click("li", reject))["form"]["form"]
    assert (await platform.submit("li", "change.reject", {"reason": "8/30 赶不上测试窗口"}, context=form["value"]))["ok"]
    card = next(m for m in await platform.messages() if "计划调整" in m["card"]["title"])
    assert "已驳回" in card["text"] and "李强" in card["text"] and "8/30 赶不上测试窗口" in card["text"]
    assert card["card"]["buttons"] == []
    [told] = [m for m in await platform.dms("zhou") if "被拒绝" in m["card"]["title"]]
    assert "8/30 赶不上测试窗口" in told["text"]
    # the rejected one no longer blocks a new proposal
    assert (await platform.say("wang", "/协作 变更 XT-2026-001\n原因: 再议\n截止: 8/20"))["ok"]


async def test_failing_a_delivery_asks_why_and_by_when_and_tells_the_delivering_side(platform) -> None:
    await running_request(platform)
    await platform.say("zheng", "/协作 交付 XT-2026-001\n交付物: 上线包\n自检: 页面加载时间≤2秒=否 实测3秒")
    fail = (await platform.buttons("acceptance.fail"))[0]
    assert (await platform.click("zheng", fail))["refused"]
    form = (await platform.click("sun", fail))["form"]["form"]
    assert [i["name"] for i in form["inputs"]] == ["reason", "rework_due"]
    assert "已交付待验收" in (await platform.messages())[0]["text"]  # nothing changed yet
    failed = await platform.submit("sun", form["form_id"], {"reason": "加载仍需3秒", "rework_due": "2026-08-14"},
                                   context=form["value"])
    assert failed["ok"] and "返工" in failed["reply"], failed
    card = next(m for m in await platform.messages() if "交付" in m["card"]["title"])
    assert "加载仍需3秒" in card["text"] and "2026-08-14" in card["text"] and card["card"]["buttons"] == []
    [told] = [m for m in await platform.dms("zheng") if "验收" in m["card"]["title"]]
    assert "加载仍需3秒" in told["text"] and "2026-08-14" in told["text"]


async def test_an_applied_change_updates_the_request_card_and_the_split(platform) -> None:
    await running_request(platform)
    await platform.say("zhou", "/协作 变更 XT-2026-001\n原因: 视觉稿返修\n截止: 8/30\n任务截止: 2=8/2")
    for head in ("wang", "li", "huang"):
        button = next(b for b in await platform.buttons("change.approve")
                      if {"wang": "产品部", "li": "技术部", "huang": "设计部"}[head] in b["label"])
        assert (await platform.click(head, button))["ok"]
    messages = await platform.messages()
    assert "2026-08-30" in messages[0]["text"]  # the request card, updated in place
    raci = next(m for m in messages if "RACI" in m["card"]["title"])
    assert "2026-08-02" in raci["text"] and "2026-07-30" not in raci["text"]
