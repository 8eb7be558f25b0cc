"""R28 确认接收 through the local platform with a moved clock: the card after approval, only a
department's head or liaison confirms for it, the request card shows who received it, and a
department that does not confirm within 1 working day is reminded, then escalated to its VP."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")


def titled(messages: list[dict], words: str) -> list[dict]:
    return [m for m in messages if words in m["card"]["title"]]


async def _approved(platform) -> None:
    await platform.say("sun", "/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率\n协作部门: 技术部、设计部\n"
                              "截止: 8/15\n交付标准: 页面加载时间≤2秒")
    await platform.click("wang", (await platform.buttons("request.approve"))[0])


async def test_heads_or_liaisons_confirm_receipt_for_their_own_department_only(platform):
    await _approved(platform)
    buttons = await platform.buttons("receipt.confirm")
    assert [b["label"] for b in buttons] == ["确认接收 · 技术部", "确认接收 · 设计部"]
    tech = buttons[0]
    refused = await platform.click("huang", tech)  # 设计部's head cannot receive for 技术部
    assert refused["refused"] and "技术部" in refused["reply"]
    assert (await platform.click("wu", tech))["ok"]  # 技术部's liaison can
    again = await platform.click("li", tech)
    assert again["ok"] is False and "吴磊" in again["reply"]
    typed = await platform.say("lin", "/协作 确认接收 XT-2026-001")  # 设计部's liaison, by command
    assert typed["ok"] and "设计部" in typed["reply"]
    english = await platform.say("zheng", "/collab receive XT-2026-001")
    assert english["ok"] is False  # not a head or liaison of any collaborating department
    card = (await platform.say("sun", "/协作 查看 XT-2026-001"))["card"]
    received = next(f["value"] for f in card["fields"] if f["label"] == "确认接收")
    assert "技术部 ✓ 吴磊" in received and "设计部 ✓ 林琳" in received
    await platform.advance(3 * 24 * 60)  # everyone received: no reminder, no escalation
    assert titled(await platform.dms("li"), "尚未确认接收") == [] and titled(await platform.dms("zhao"), "升级") == []


async def test_unconfirmed_receipt_is_reminded_after_1_working_day_then_escalated_to_the_vp(platform):
    await platform.set_time(datetime(2026, 7, 17, 10, 0, tzinfo=SH))  # a Friday
    await _approved(platform)
    await platform.click("lin", (await platform.buttons("receipt.confirm", label="设计部"))[0])
    await platform.set_time(datetime(2026, 7, 20, 9, 59, tzinfo=SH))  # the weekend does not count
    assert titled(await platform.dms("li"), "尚未确认接收") == []
    await platform.set_time(datetime(2026, 7, 20, 10, 0, tzinfo=SH))
    [reminder] = titled(await platform.dms("li"), "尚未确认接收")
    assert "技术部" in reminder["card"]["text"] and "设计部" not in reminder["card"]["text"]
    assert titled(await platform.dms("wu"), "尚未确认接收")  # the liaison too
    assert titled(await platform.dms("huang"), "尚未确认接收") == []
    assert titled(await platform.dms("zhao"), "升级") == []
    await platform.set_time(datetime(2026, 7, 21, 10, 0, tzinfo=SH))  # one more working day
    [ping] = titled(await platform.dms("zhao"), "升级至分管副总")
    assert "技术部" in ping["card"]["text"]
    assert titled(await platform.dms("wang"), "升级至分管副总")  # the initiating head
    await platform.click("li", (await platform.buttons("receipt.confirm", label="技术部"))[0])
    await platform.set_time(datetime(2026, 7, 23, 10, 0, tzinfo=SH))
    assert len(titled(await platform.dms("zhao"), "升级至分管副总")) == 1  # received: the pings stop
