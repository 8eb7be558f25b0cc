"""R22 + R24/R25: a refused click or command is in the archive's 操作记录 — who tried what, when,
and why it was refused, in words — because its audit row names the request it concerned."""
from __future__ import annotations

from sqlmodel import select

from harness import archived_request, running_request
from storage.tables import AuditEvent, CollaborationRequest


async def test_refused_clicks_and_commands_are_in_the_archives_audit_trail(platform) -> None:
    await running_request(platform)  # Mon 2026-07-13 10:00 Asia/Shanghai
    await platform.say("lin", "/协作 问题 XT-2026-001\n描述: 接口文档缺失\n严重程度: 高\n责任部门: 技术部")
    await platform.advance(30)
    ack = (await platform.buttons("issue.ack"))[0]
    assert (await platform.click("huang", ack))["refused"]  # 设计部's head answers for 技术部
    assert (await platform.say("zheng", "/协作 取消 XT-2026-001 原因: 不做了"))["refused"]

    async with platform.app.db.uow() as uow:
        request = await uow.first(select(CollaborationRequest))
        rows = await uow.all(select(AuditEvent).where(AuditEvent.action == "click.refused"))
    assert [r.request_id for r in rows] == [request.id, request.id]

    markdown = (await archived_request(platform)).markdown
    trail = markdown.split("## 操作记录", 1)[1]
    assert ("2026-07-13 10:30 · 黄蕾 · 尝试「响应问题」，被拒绝：只有责任部门（技术部）可以响应此问题。" in trail), trail
    assert ("2026-07-13 10:30 · 郑凯 · 尝试「/协作 取消」，被拒绝：只有 XT-2026-001 的发起人或发起部门负责人可以这样做。"
            in trail), trail
    assert "refused." not in markdown and "click.refused" not in markdown


def test_every_button_and_form_has_words_for_the_trail() -> None:
    """A refusal names what was tried in words: every button and form has them, in both languages."""
    from workflows.i18n import translator
    from workflows.router import ACTIONS, FORMS

    for locale in ("zh-CN", "en"):
        t = translator(locale)
        assert [name for name in [*ACTIONS, *FORMS] if t(f"audit.{name}") == f"audit.{name}"] == [], locale
