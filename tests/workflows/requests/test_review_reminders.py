"""R4: a request waiting for its initial review reminds the reviewing head every 24 hours,
and stops the moment it is reviewed."""
from __future__ import annotations


def waiting(messages):
    return [m for m in messages if "待初审" in (m["card"] or {}).get("title", "")]


async def test_the_reviewing_head_is_reminded_daily_until_the_review(platform) -> None:
    await platform.say("sun", "/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率10%\n协作部门: 技术部\n"
                              "截止: 8/15\n交付标准: 页面加载≤2秒")
    await platform.advance(23 * 60)
    assert waiting(await platform.dms("wang")) == []
    await platform.advance(61)
    assert len(waiting(await platform.dms("wang"))) == 1
    await platform.advance(24 * 60)
    assert len(waiting(await platform.dms("wang"))) == 2
    await platform.click("wang", (await platform.buttons("request.approve"))[0])
    await platform.advance(3 * 24 * 60)
    assert len(waiting(await platform.dms("wang"))) == 2


async def test_the_post_approval_hint_uses_this_requests_own_values(platform) -> None:
    await platform.say("sun", "/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率10%\n协作部门: 设计部\n"
                              "截止: 9/30\n交付标准: 视觉还原度100%；页面加载≤2秒")
    await platform.click("wang", (await platform.buttons("request.approve"))[0])
    hint = next(m for m in await platform.messages() if "请分工" in m["card"]["title"])
    assert "负责: 设计部 | 负责人: 林琳 | 截止: 9/30 | 标准: 视觉还原度100%" in hint["text"]
    assert "李强" not in hint["text"]
    typed = hint["text"].split("\n", 2)[-1]  # the example, copied with a task name, is accepted
    assert (await platform.say("sun", typed.replace("任务: …", "任务: 视觉稿")))["ok"]
