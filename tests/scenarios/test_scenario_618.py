"""The guidelines' 618 promotion: 市场部 leads with 产品部, 销售部 and 技术部 — typed with the
English command words (R27: both languages work in a zh-CN workspace)."""
from __future__ import annotations

from sqlmodel import select

from storage.tables import Confirmation, Task

HEADS = {"市场部": "liu", "产品部": "wang", "销售部": "zhang", "技术部": "li"}


async def test_618_promotion_runs_with_raci_and_english_words(platform):
    filed = await platform.say("chen", """/collab new
title: 618大促活动
goal: 618期间GMV同比增长30%
depts: 产品部, 销售部, 技术部
due: 2026-08-20
standard: 活动页面可用率≥99.9%；订单转化率≥5%
milestones: 方案确认 7/20；开发完成 8/10；活动上线 8/18
content: 产品部=活动玩法；销售部=渠道目标；技术部=活动页面与压测""", chat="promo")
    assert filed["ok"], filed
    approve = (await platform.buttons("request.approve", chat="promo"))[0]
    assert (await platform.click("liu", approve, chat="promo"))["ok"]

    # RACI as in the guidelines: 市场部 R for the plan (产品部 A, 销售部 C, 技术部 I), 技术部 R for the page
    assigned = await platform.say("chen", """/collab assign XT-2026-001
task: 活动方案 | lead: 市场部 | owner: 陈静 | due: 7/20 | A: 产品部 | C: 销售部 | I: 技术部 | standard: 订单转化率≥5%
task: 活动页面开发 | lead: 技术部 | owner: 郑凯 | due: 8/10 | support: 产品部 | standard: 可用率≥99.9%
task: 渠道铺货 | lead: 销售部 | owner: 何丽 | due: 8/18 | standard: 订单转化率≥5%""", chat="promo")
    assert assigned["ok"], assigned
    buttons = await platform.buttons("task.confirm", chat="promo")
    assert len(buttons) == 4
    for button in buttons:
        dept = next(d for d in HEADS if d in button["label"])
        assert (await platform.click(HEADS[dept], button, chat="promo"))["ok"]

    async with platform.app.db.uow() as uow:
        tasks = await uow.all(select(Task).order_by(Task.seq))
        assert [t.title for t in tasks] == ["活动方案", "活动页面开发", "渠道铺货"]
        assert tasks[0].accountable_department_id is not None and tasks[0].consulted and tasks[0].informed
        assert len(await uow.all(select(Confirmation))) == 4

    assert (await platform.say("zheng", "/collab daily XT-2026-001#2\ntoday: 压测脚本完成\ntomorrow: 全链路压测",
                               chat="promo"))["ok"]
    assert (await platform.say("zheng", "/collab status XT-2026-001#2 in progress\nrisk: 中", chat="promo"))["ok"]
    board = await platform.say("liu", "/collab board XT-2026-001", chat="promo")
    assert "活动页面开发" in board["card"]["text"] and "风险 中" in board["card"]["text"]

    assert (await platform.say("he", "/collab issue XT-2026-001\ndesc: 渠道库存不足\nseverity: high\ndept: 产品部",
                               chat="promo"))["ok"]
    assert (await platform.say("zhou", "/collab ack XT-2026-001#1", chat="promo"))["ok"]
    assert (await platform.say("zhou", "/collab resolve XT-2026-001#1 调拨华东仓库存", chat="promo"))["ok"]

    assert (await platform.say("chen", "/collab change XT-2026-001\nreason: 平台规则调整\ndue: 8/25",
                               chat="promo"))["ok"]
    for button in await platform.buttons("change.approve", chat="promo"):
        dept = next(d for d in HEADS if d in button["label"])
        assert (await platform.click(HEADS[dept], button, chat="promo"))["ok"]

    delivered = await platform.say("zheng", "/collab deliver XT-2026-001\ndeliverables: 活动页面+压测报告\n"
                                   "checks: 活动页面可用率≥99.9%=yes; 订单转化率≥5%=no 4.2%; 可用率≥99.9%=yes", chat="promo")
    assert delivered["ok"], delivered
    assert (await platform.say("chen", "/collab accept XT-2026-001 rework\nnotes: 转化率未达标", chat="promo"))["ok"]
    assert (await platform.say("zheng", "/collab deliver XT-2026-001\ndeliverables: v2\n"
                               "checks: 活动页面可用率≥99.9%=yes; 订单转化率≥5%=yes; 可用率≥99.9%=yes", chat="promo"))["ok"]
    assert (await platform.say("liu", "/collab accept XT-2026-001 pass", chat="promo"))["ok"]
    for button in await platform.buttons("completion.confirm", chat="promo"):
        dept = next(d for d in HEADS if d in button["label"])
        assert (await platform.click(HEADS[dept], button, chat="promo"))["ok"]
    archived = await platform.say("chen", "/collab archive XT-2026-001", chat="promo")
    assert "2026年Q3618大促活动协作计划_市场部" in archived["reply"]
    lesson = await platform.say("zheng", "/collab lesson XT-2026-001 压测要提前两周", chat="promo")
    assert lesson["ok"], lesson
