"""R15: a dispute the liaisons could not settle goes to both department heads at once, then to
the supervising VP; only a decider may settle it, once."""
from __future__ import annotations

from harness import running_request


async def test_a_dispute_goes_to_both_heads_then_the_vp_who_settles_it(platform) -> None:
    await running_request(platform)
    raised = await platform.say("lin", "/协作 争议 XT-2026-001 视觉验收标准有分歧\n责任部门: 技术部")
    assert raised["ok"] and "#1" in raised["reply"]
    card = next(m for m in await platform.messages() if "争议" in m["card"]["title"])
    assert "设计部" in card["text"] and "技术部" in card["text"]
    assert any("争议" in m["card"]["title"] for m in await platform.dms("huang"))
    assert any("争议" in m["card"]["title"] for m in await platform.dms("li"))
    assert not await platform.dms("zhao")

    settle = (await platform.buttons("dispute.settle"))[0]
    assert (await platform.click("lin", settle))["refused"]  # a liaison cannot decide

    await platform.advance(24 * 60 + 1)  # the heads did not settle it in time
    [ping] = [m for m in await platform.dms("zhao") if "争议" in m["card"]["title"]]
    assert ping["urgent"] and ping["escalation"] == "vp"

    settled = await platform.click("zhao", (await platform.buttons("dispute.settle"))[0])
    assert settled["ok"], settled
    again = await platform.click("li", settle)
    assert again["ok"] is False and "赵总" in again["reply"]
    assert (await platform.buttons("dispute.settle")) == []
