"""The guidelines' product-page request (XLX-2024-015 style) end to end through the local
platform's HTTP API: 产品部 initiates, 技术部 + 设计部 collaborate, due 7/20, 8/10, 8/15."""
from __future__ import annotations

from sqlmodel import select

from storage.tables import ArchiveDocument, AuditEvent, CollaborationRequest

FILE = """/协作 新建
名称: 新品详情页改版
背景与目标: 提升详情页转化率10%
协作部门: 技术部、设计部
截止: 8/15
交付标准: 页面加载时间≤2秒；视觉还原度100%
时间节点: 需求确认 7/20；开发完成 8/10；正式上线 8/15
具体协作内容: 技术部=开发页面与接口；设计部=视觉稿"""
HEADS = {"产品部": "wang", "技术部": "li", "设计部": "huang"}


async def confirm_all(platform, action_id: str) -> None:
    for button in await platform.buttons(action_id):
        dept = next(d for d in HEADS if d in button["label"])
        answer = await platform.click(HEADS[dept], button)
        assert answer["ok"], answer


async def test_product_page_request_from_filing_to_archive(platform):
    filed = await platform.say("sun", FILE)
    assert "XT-2026-001" in filed["reply"]
    [card] = await platform.messages()
    assert card["card"]["title"] == "[XT-2026-001] 新品详情页改版"
    assert "待初审" in card["text"] and "技术部、设计部" in card["text"]

    # R4: only the head of 产品部 reviews; a refused click changes nothing and is private
    approve = (await platform.buttons("request.approve"))[0]
    refused = await platform.click("li", approve)
    assert refused["refused"] and "产品部" in refused["reply"]
    assert "待初审" in (await platform.messages())[0]["text"]
    approved = await platform.click("wang", approve)
    assert approved["ok"] and approved["card"]["buttons"] == []
    assert "已通过初审" in (await platform.messages())[0]["text"]  # same message id, new state

    # R5: the split, one lead (R) per task; R6: every involved head confirms
    split = await platform.say("sun", """/协作 分工 XT-2026-001
任务: 页面开发 | 负责: 技术部 | 负责人: 郑凯 | 开始: 7/21 | 截止: 8/10 | 配合: 设计部 | 标准: 页面加载时间≤2秒
任务: 视觉设计 | 负责: 设计部 | 负责人: 林琳 | 截止: 7/20 | 标准: 视觉还原度100%""")
    assert split["ok"], split
    confirm = await platform.buttons("task.confirm")
    assert {b["label"] for b in confirm} == {"产品部 确认", "技术部 确认", "设计部 确认"}
    wrong = await platform.click("huang", next(b for b in confirm if "技术部" in b["label"]))
    assert wrong["refused"]  # nobody confirms for another department
    await confirm_all(platform, "task.confirm")
    raci = next(m for m in await platform.messages() if "RACI" in m["card"]["title"])
    assert raci["card"]["buttons"] == [] and "黄蕾" in raci["text"]
    assert "执行中" in (await platform.messages())[0]["text"]

    # R7 daily post, R12 issue, R14 acknowledgement by the responsible department
    assert (await platform.say("zheng", "/协作 日报 XT-2026-001\n今日: 首页框架完成\n明日: 接口联调"))["ok"]
    issue = await platform.say("lin", "/协作 问题 XT-2026-001\n描述: 接口文档缺失\n严重程度: 高\n责任部门: 技术部")
    assert "XT-2026-001#1" in issue["reply"]
    ack = (await platform.buttons("issue.ack"))[0]
    assert (await platform.click("lin", ack))["refused"]  # 设计部 is not responsible
    assert (await platform.click("wu", ack))["ok"]
    assert (await platform.say("wu", "/协作 解决 XT-2026-001#1 今天补齐接口文档"))["ok"]

    # R17 plan change: in effect only after every head; the old plan stays visible
    assert (await platform.say("zhou", "/协作 变更 XT-2026-001\n原因: 视觉稿返修\n任务截止: 2=7/24"))["ok"]
    await confirm_all(platform, "change.approve")
    change = next(m for m in await platform.messages() if "计划调整" in m["card"]["title"])
    assert "已生效" in change["text"] and "原计划" in change["text"] and "2026-07-20" in change["text"]

    # R19 delivery with self-check; R20 a failed acceptance with rework, then a pass
    assert (await platform.say("zheng", "/协作 交付 XT-2026-001\n交付物: 详情页上线包\n自检: 页面加载时间≤2秒=是；视觉还原度100%=否"))["ok"]
    fail = (await platform.buttons("acceptance.fail"))[0]
    assert (await platform.click("zheng", fail))["refused"]
    asked = await platform.click("sun", fail)  # 不通过 asks why and by when first
    form = asked["form"]["form"]
    assert [i["name"] for i in form["inputs"]] == ["reason", "rework_due"]
    failed = await platform.submit("sun", form["form_id"], {"reason": "视觉还原度不足", "rework_due": "2026-08-14"},
                                   context=form["value"])
    assert failed["ok"] and "返工" in failed["reply"], failed
    told = [m for m in await platform.dms("zheng") if "验收" in m["card"]["title"]]
    assert told and "视觉还原度不足" in told[-1]["text"] and "2026-08-14" in told[-1]["text"]
    assert (await platform.say("zheng", "/协作 交付 XT-2026-001\n交付物: 上线包v2\n自检: 页面加载时间≤2秒=是；视觉还原度100%=是"))["ok"]
    passed = await platform.click("sun", (await platform.buttons("acceptance.pass"))[-1])
    assert passed["ok"], passed

    # R21 both sides confirm completion; R22 archive
    await confirm_all(platform, "completion.confirm")
    archived = await platform.say("wang", "/协作 归档 XT-2026-001")
    assert "2026年Q3新品详情页改版协作计划_产品部" in archived["reply"]

    async with platform.app.db.uow() as uow:
        request = await uow.first(select(CollaborationRequest))
        assert request.state == "archived"
        doc = await uow.first(select(ArchiveDocument))
        for section in ("职责分工", "每日进展", "问题跟踪表", "计划调整", "验收结果表", "操作记录"):
            assert section in doc.markdown
        assert len(doc.data["acceptances"]) == 2 and len(doc.data["deliveries"]) == 2
        actions = [a.action for a in await uow.all(select(AuditEvent))]
    # R24: every state change has its audit row
    for action in ("request.file", "request.approve", "request.assign", "task.confirm", "request.execute",
                   "progress.post", "issue.raise", "issue.ack", "issue.resolve", "change.propose",
                   "change.apply", "delivery.submit", "acceptance.fail", "acceptance.pass",
                   "completion.confirm", "request.complete", "request.archive"):
        assert action in actions, action
    assert actions.count("click.refused") == 4
