"""R22: the archive is a document a person reads — local times, the workspace's words instead of
raw codes (no `[high]`, no `rejected`, no Python dicts), the audit trail in words — and
archiving with issues still open is warned about first."""
from __future__ import annotations

from sqlmodel import select

from harness import running_request
from storage.tables import ArchiveDocument, CollaborationRequest

HEADS = {"产品部": "wang", "技术部": "li", "设计部": "huang"}


async def _complete(platform) -> None:
    await platform.say("zheng", "/协作 交付 XT-2026-001\n交付物: 上线包\n自检: 页面加载时间≤2秒=是")
    await platform.click("sun", (await platform.buttons("acceptance.pass"))[-1])
    for button in await platform.buttons("completion.confirm"):
        await platform.click(next(h for d, h in HEADS.items() if d in button["label"]), button)


async def test_archiving_warns_about_open_issues_and_the_document_reads_as_words(platform) -> None:
    await running_request(platform)  # Mon 2026-07-13 10:00 Asia/Shanghai
    await platform.say("lin", "/协作 问题 XT-2026-001\n描述: 接口文档缺失\n严重程度: 高\n责任部门: 技术部")
    await platform.say("zhou", "/协作 变更 XT-2026-001\n原因: 视觉稿返修\n截止: 8/30")
    form = (await platform.click("li", (await platform.buttons("change.reject"))[0]))["form"]["form"]
    await platform.submit("li", "change.reject", {"reason": "测试窗口不够"}, context=form["value"])
    await _complete(platform)

    warned = await platform.say("wang", "/协作 归档 XT-2026-001")
    assert warned["ok"] is False and "#1" in warned["reply"] and "强制" in warned["reply"]
    async with platform.app.db.uow() as uow:
        assert (await uow.first(select(CollaborationRequest))).state == "completed"
    assert (await platform.say("wang", "/协作 归档 XT-2026-001 强制"))["ok"]

    async with platform.app.db.uow() as uow:
        markdown = (await uow.first(select(ArchiveDocument))).markdown
    for raw in ("[high]", "rejected", "{'", "raci ·", "bot", "T02:00"):
        assert raw not in markdown, raw
    assert "2026-07-13 10:00" in markdown  # local time of the filing
    assert "高 · 接口文档缺失" in markdown and "已驳回" in markdown and "截止 2026-08-30" in markdown
    assert "提交需求" in markdown and "职责分工签字确认" in markdown
