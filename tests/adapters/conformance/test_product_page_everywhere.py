"""The guidelines' product-page request (XLX-2024-015 style) from filing to archive, written
once and run on every platform through its driver (local, Slack, Feishu, DingTalk): 产品部
files, 技术部 and 销售部 collaborate; review, the RACI split and every head's 签字确认, a daily
post, an issue acknowledged and resolved, a plan change every head confirms, a delivery sent
back for rework and then passed, completion by both sides, the archive."""
from __future__ import annotations

from sqlmodel import select

from storage.tables import ArchiveDocument, AuditEvent, CollaborationRequest, Workspace
from workflows.i18n import translator

FILE = """/协作 新建
名称: 新品详情页改版
背景与目标: 提升详情页转化率10%
协作部门: 技术部、销售部
截止: 8/15
交付标准: 页面加载时间≤2秒；转化埋点覆盖100%
时间节点: 需求确认 7/20；开发完成 8/10；正式上线 8/15
具体协作内容: 技术部=开发页面与接口；销售部=提供转化口径"""
SPLIT = """/协作 分工 XT-2026-001
任务: 页面开发 | 负责: 技术部 | 负责人: 郑凯 | 开始: 7/14 | 截止: 8/10 | 配合: 销售部 | 标准: 页面加载时间≤2秒
任务: 转化口径 | 负责: 销售部 | 负责人: 何丽 | 截止: 7/20 | 标准: 转化埋点覆盖100%"""
HEADS = {"产品部": "wang", "技术部": "li", "销售部": "zhang"}


async def words(driver):
    """The workspace's own language (Slack's is English): cards are read in it."""
    async with driver.app.db.uow() as uow:
        return translator((await uow.get(Workspace, driver.workspace_id)).locale)


async def request_state(driver) -> str:
    async with driver.app.db.uow() as uow:
        return (await uow.first(select(CollaborationRequest))).state


async def every_head_signs(driver, action_id: str) -> None:
    """Each head presses the button they see now (on DingTalk a card changes in place)."""
    while buttons := await driver.buttons(action_id):
        dept = next(d for d in HEADS if d in driver.label(buttons[0]))
        await driver.click(HEADS[dept], buttons[0])


async def test_the_product_page_request_from_filing_to_archive(driver):
    assert "XT-2026-001" in await driver.say("zhou", FILE)

    # R4: only the head of 产品部 reviews; a refused click changes nothing
    [approve] = await driver.buttons("request.approve")
    assert "产品部" in await driver.click("li", approve)
    assert await request_state(driver) == "submitted"
    await driver.click("wang", approve)
    assert await request_state(driver) == "approved"

    # R5 the split, one lead (R) per task; R6 every involved head confirms, nobody for another
    assert "XT-2026-001" in await driver.say("zhou", SPLIT)
    confirms = await driver.buttons("task.confirm")
    assert {d for b in confirms for d in HEADS if d in driver.label(b)} == set(HEADS)
    await driver.click("zhang", next(b for b in confirms if "技术部" in driver.label(b)))
    await every_head_signs(driver, "task.confirm")
    assert await request_state(driver) == "in_progress"
    t = await words(driver)
    assert any("XT-2026-001" in card and t("state.in_progress") in card for card in await driver.cards())

    # R7 a daily post; R12 an issue; R14 acknowledged by the responsible department, resolved
    await driver.say("zheng", "/协作 日报 XT-2026-001#1\n今日: 首页框架完成\n明日: 接口联调")
    assert "XT-2026-001#1" in await driver.say("he", "/协作 问题 XT-2026-001\n描述: 接口文档缺失\n"
                                                      "严重程度: 高\n责任部门: 技术部")
    [ack] = await driver.buttons("issue.ack")
    assert "技术部" in await driver.click("he", ack)  # 销售部 is not responsible
    await driver.click("wu", ack)
    await driver.say("wu", "/协作 解决 XT-2026-001#1 今天补齐接口文档")

    # R17 a plan change from the initiating side takes effect once every head confirms
    await driver.say("zhou", "/协作 变更 XT-2026-001\n原因: 口径返修\n任务截止: 2=7/24")
    await every_head_signs(driver, "change.approve")
    assert any(t("change_state.approved") in card and "2026-07-20" in card and "2026-07-24" in card
               for card in await driver.cards())

    # R19 delivery with the self-check against the agreed standards; R20 rework with a reason, then pass
    await driver.say("zheng", "/协作 交付 XT-2026-001\n交付物: 详情页上线包\n"
                              "自检: 页面加载时间≤2秒=是；转化埋点覆盖100%=否 缺少下单埋点")
    await driver.say("wang", "/协作 验收 XT-2026-001 返工 下单埋点缺失\n返工截止: 8/12")
    assert await request_state(driver) == "rework"
    await driver.say("zheng", "/协作 交付 XT-2026-001\n交付物: 上线包v2\n"
                              "自检: 页面加载时间≤2秒=是；转化埋点覆盖100%=是")
    passed = (await driver.buttons("acceptance.pass"))[-1]
    assert "产品部" in await driver.click("zheng", passed)  # the initiating side decides
    await driver.click("wang", passed)
    assert await request_state(driver) == "accepted"

    # R21 both sides confirm completion; R22 the archive, named by convention
    await every_head_signs(driver, "completion.confirm")
    assert await request_state(driver) == "completed"
    assert "2026年Q3新品详情页改版协作计划_产品部" in await driver.say("wang", "/协作 归档 XT-2026-001")

    async with driver.app.db.uow() as uow:
        assert (await uow.first(select(CollaborationRequest))).state == "archived"
        doc = await uow.first(select(ArchiveDocument))
        actions = [a.action for a in await uow.all(select(AuditEvent))]
    for section in ("archive.tasks", "archive.progress", "archive.issues", "archive.changes",
                    "archive.acceptances", "archive.audit"):
        assert t(section) in doc.markdown
    assert len(doc.data["acceptances"]) == 2 and len(doc.data["deliveries"]) == 2
    # R24: every state change has its audit row; R25: every refused click too
    for action in ("request.file", "request.approve", "request.assign", "task.confirm", "request.execute",
                   "progress.post", "issue.raise", "issue.ack", "issue.resolve", "change.propose",
                   "change.apply", "delivery.submit", "acceptance.rework", "acceptance.pass",
                   "completion.confirm", "request.complete", "request.archive"):
        assert action in actions, action
    assert actions.count("click.refused") == 4
