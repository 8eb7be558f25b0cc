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
