"""R17 × R34 through the local platform: a plan change that moves scope says so in words on
its card ("范围变更：新增 … / 移出 …") and in the announcement when it takes effect, and the
request's scope is what the heads signed — only once every head has confirmed."""
from __future__ import annotations

from harness import running_request

HEADS = {"wang": "产品部", "li": "技术部", "huang": "设计部"}


def scope_of(card: dict) -> tuple[str, str]:
    fields = {f["label"]: f["value"] for f in card["fields"]}
    return fields.get("协作范围（范围内）", ""), fields.get("不在范围内", "")


async def test_a_change_that_moves_scope_says_so_and_the_scope_moves_when_every_head_confirms(platform):
    await running_request(platform)
    bad = await platform.say("zhou", "/协作 变更 XT-2026-001\n原因: 客户要求\n新增范围: 埋点\n移出范围: 埋点")
    assert bad["ok"] is False and "埋点" in bad["reply"]  # not both at once: nothing proposed
    proposed = await platform.say("zhou", "/协作 变更 XT-2026-001\n原因: 客户要求先上线移动端\n影响: 无\n"
                                         "新增范围: 移动端适配、埋点\n移出范围: 支付流程")
    assert proposed["ok"], proposed["reply"]
    [card] = [m for m in await platform.messages() if "计划调整 #1" in m["card"]["title"]]
    plans = {f["label"]: f["value"] for f in card["card"]["fields"]}
    assert plans["新计划"] == "范围变更：新增 移动端适配、埋点 / 移出 支付流程"
    assert plans["原计划"].endswith("协作范围（范围内） —；不在范围内 —")  # the old plan stays visible, even empty

    buttons = await platform.buttons("change.approve")
    for head in ("wang", "li"):
        assert (await platform.click(head, next(b for b in buttons if HEADS[head] in b["label"])))["ok"]
    shown = (await platform.say("sun", "/协作 查看 XT-2026-001"))["card"]
    assert "移动端适配" not in str(shown)  # not yet: 设计部 has not confirmed
    assert (await platform.click("huang", next(b for b in buttons if "设计部" in b["label"])))["ok"]

    [told] = [m for m in await platform.messages() if "计划调整 #1 已生效" in m["card"]["title"]]
    assert "范围变更：新增 移动端适配、埋点 / 移出 支付流程" in told["text"] and "不在范围内：支付流程" in told["text"]
    assert scope_of((await platform.say("sun", "/协作 查看 XT-2026-001"))["card"]) == ("移动端适配、埋点", "支付流程")

    # a second change moves an item back: it leaves the out-of-scope list
    await platform.say("zhou", "/collab change XT-2026-001\nreason: payments are ready after all\nscope-add: 支付流程")
    for button in await platform.buttons("change.approve"):
        await platform.click(next(h for h, d in HEADS.items() if d in button["label"]), button)
    assert scope_of((await platform.say("sun", "/协作 查看 XT-2026-001"))["card"]) == ("移动端适配、埋点、支付流程", "—")
