"""The product-page request (产品部 files, 技术部 collaborates) from filing to work in progress,
the same steps on every platform through its driver: file → the head approves → the split →
every involved head confirms its task → in progress, with the cards showing each state."""
from __future__ import annotations

from sqlmodel import select

from storage.tables import CollaborationRequest

FILE = ("/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升详情页转化率10%\n协作部门: 技术部\n截止: 8/15\n"
        "交付标准: 页面加载时间≤2秒")
SPLIT = "/协作 分工 XT-2026-001\n任务: 页面开发 | 负责: 技术部 | 负责人: 郑凯 | 截止: 8/10 | 标准: 页面加载时间≤2秒"
HEADS = {"产品部": "wang", "技术部": "li"}


async def state(driver) -> str:
    async with driver.app.db.uow() as uow:
        [request] = await uow.all(select(CollaborationRequest))
        return request.state


async def test_the_product_page_request_runs_to_work_in_progress(driver):
    assert "XT-2026-001" in await driver.say("zhou", FILE)
    assert await state(driver) == "submitted"
    [approve] = await driver.buttons("request.approve")
    await driver.click("wang", approve)
    assert await state(driver) == "approved"

    assert "XT-2026-001" in await driver.say("zhou", SPLIT)
    confirms = await driver.buttons("task.confirm")
    assert {next(d for d in HEADS if d in driver.label(b)) for b in confirms} == set(HEADS)
    for _ in HEADS:  # each head presses the button they see now (a card changes after a click)
        button = (await driver.buttons("task.confirm"))[0]
        dept = next(d for d in HEADS if d in driver.label(button))
        await driver.click(HEADS[dept], button)
    assert await state(driver) == "in_progress"
    assert await driver.buttons("task.confirm") == []
    assert any("XT-2026-001" in text and "郑凯" in text for text in await driver.cards())
