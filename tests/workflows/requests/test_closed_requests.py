"""A closed request (completed, cancelled, archived) refuses every command and every button —
stale cards included — with a clear private answer: no state changes, no audit row but the
refusal's, no message to anyone. Viewing and the retrospective (R23) stay open, and a completed
request can still be archived (R22): that is its one step left."""
from __future__ import annotations

import pytest
from sqlmodel import func, select

from harness import running_request
from storage.tables import (Acceptance, ActionItem, AuditEvent, CollaborationRequest, Confirmation, Delivery, Department,
                            Dispute, Feedback, Issue, OutboxMessage, PlanChange, ProgressPost, Risk, Task, Timer)
from workflows.router import ACTIONS, COMMANDS

NUMBER = "XT-2026-001"
HEADS = {"产品部": "wang", "技术部": "li", "设计部": "huang"}

# every command, typed well enough to pass the grammar, by the person who could normally do it
COMMAND_LINES = {
    "assign": ("sun", f"/协作 分工 {NUMBER}\n任务: 补充测试 | 负责: 技术部 | 负责人: 郑凯 | 截止: 8/12 | 标准: 页面加载时间≤2秒"),
    "daily": ("zheng", f"/协作 日报 {NUMBER}#1\n今日: 联调\n明日: 上线"),
    "status": ("zheng", f"/协作 状态 {NUMBER}#1 延期"),
    "issue": ("lin", f"/协作 问题 {NUMBER} 紧急\n描述: 接口超时\n责任部门: 技术部"),
    "ack": ("wu", f"/协作 响应 {NUMBER}#1"),
    "resolve": ("wu", f"/协作 解决 {NUMBER}#1 已扩容"),
    "change": ("zhou", f"/协作 变更 {NUMBER}\n原因: 延后上线\n截止: 8/30"),
    "deliver": ("zheng", f"/协作 交付 {NUMBER}\n交付物: 上线包\n自检: 页面加载时间≤2秒=是"),
    "accept": ("sun", f"/协作 验收 {NUMBER} 不通过 仍有缺陷"),
    "feedback": ("lin", f"/协作 反馈 {NUMBER} 方案 需要补充交互说明"),
    "reply": ("sun", f"/协作 答复 {NUMBER} 已补充"),
    "revise": ("sun", f"/协作 修订 {NUMBER} 已修订"),
    "dispute": ("lin", f"/协作 争议 {NUMBER} 视觉验收标准有分歧"),
    "cancel": ("sun", f"/协作 取消 {NUMBER} 原因: 项目叫停"),
    "archive": ("wang", f"/协作 归档 {NUMBER} 强制"),  # its issues are still open
    "lesson": ("zheng", f"/协作 复盘 {NUMBER} 接口文档要先行"),
    "archive_file": ("sun", f"/协作 档案 {NUMBER} 备注: 下次提前排期"),  # R22: a note, once archived
    "show": ("sun", f"/协作 查看 {NUMBER}"),
    "board": ("sun", f"/协作 看板 {NUMBER}"),
    "list": ("sun", "/协作 列表"),
    "help": ("sun", "/协作 帮助"),
    "new": ("sun", "/协作 新建"),
    "receive": ("wu", f"/协作 确认接收 {NUMBER}"),  # R28
    "risk": ("wu", f"/协作 风险 {NUMBER}\n描述: 支付接口延期\n触发条件: 8/20"),  # R32
    "action": ("zheng", f"/协作 行动项 {NUMBER}#1\n事项: 支付接口联调\n截止: 8/5"),  # R31
    "kickoff": ("sun", f"/协作 启动会 {NUMBER}\n时间: 8/3 10:00\n地点: 3楼会议室"),  # R29
    "minutes": ("li", f"/协作 纪要 {NUMBER} 周会\n决定: 接口冻结"),
    "memo": ("sun", f"/协作 备忘录 {NUMBER}\n违约处理: 延误说明"),  # R30
    "resources": ("zheng", f"/协作 资源 {NUMBER}\n人员: 2\n人天: 10"),  # R33
    "huddle": ("sun", f"/协作 碰头会 {NUMBER}#1"),  # R36
    "panel": ("sun", f"/协作 验收小组 {NUMBER} 全部通过"),  # R35
    "vote": ("li", f"/协作 投票 {NUMBER} 通过 达标"),
}
VIEWING = {"show", "board", "list", "help", "new"}  # change nothing whatever the state
CLICKERS = {"request.approve": "wang", "request.reject": "wang", "raci.open": "sun", "task.confirm": "li",
            "task.on_track": "zheng", "task.at_risk": "zheng", "task.will_be_late": "zheng", "issue.ack": "wu",
            "change.approve": "li", "change.reject": "li", "acceptance.pass": "sun", "acceptance.fail": "sun",
            "acceptance.rework": "sun", "completion.confirm": "li", "dispute.settle": "li",
            "receipt.confirm": "li", "risk.trigger": "sun", "risk.close": "sun",
            "item.done": "zheng", "memo.sign": "li",
            "resources.submit": "sun", "resources.approve": "zhao", "resources.reject": "zhao",
            "panel.pass": "li", "panel.fail": "li"}


def test_every_command_and_action_is_covered() -> None:
    assert set(COMMAND_LINES) == set(COMMANDS)
    assert set(CLICKERS) == set(ACTIONS)


async def _busy_request(platform) -> None:
    """In progress with an open urgent issue, a proposed change, an open dispute and feedback."""
    await running_request(platform)
    for who, text in (COMMAND_LINES["issue"], COMMAND_LINES["change"], COMMAND_LINES["dispute"],
                      COMMAND_LINES["feedback"], COMMAND_LINES["daily"], COMMAND_LINES["risk"],
                      COMMAND_LINES["action"]):
        assert (await platform.say(who, text))["ok"], text


async def _complete(platform) -> None:
    assert (await platform.say(*COMMAND_LINES["deliver"]))["ok"]
    assert (await platform.click("sun", (await platform.buttons("acceptance.pass"))[-1]))["ok"]
    for button in await platform.buttons("completion.confirm"):
        assert (await platform.click(next(h for d, h in HEADS.items() if d in button["label"]), button))["ok"]


async def _close(platform, state: str) -> None:
    await _busy_request(platform)
    if state == "cancelled":
        assert (await platform.say(*COMMAND_LINES["cancel"]))["ok"]
        return
    await _complete(platform)
    if state == "archived":
        assert (await platform.say(*COMMAND_LINES["archive"]))["ok"]


async def _snapshot(platform) -> dict:
    """Everything a click or command could change, and what it could send."""
    async with platform.app.db.uow() as uow:
        rows = lambda model: uow.all(select(model).order_by(model.id))  # noqa: E731
        request = await uow.first(select(CollaborationRequest))
        return {
            "request": (request.state, request.due_date, list(request.lessons)),
            "tasks": [(t.status, t.risk, t.due_date) for t in await rows(Task)],
            "issues": [(i.state, i.escalation_level, i.solution) for i in await rows(Issue)],
            "changes": [c.state for c in await rows(PlanChange)],
            "disputes": [d.state for d in await rows(Dispute)],
            "risks": [r.state for r in await rows(Risk)],
            "items": [i.state for i in await rows(ActionItem)],
            "feedback": [(f.answered_at, f.revised_at) for f in await rows(Feedback)],
            "posts": len(await rows(ProgressPost)), "deliveries": len(await rows(Delivery)),
            "acceptances": len(await rows(Acceptance)), "confirmations": len(await rows(Confirmation)),
            "timers": [(t.kind, t.state) for t in await rows(Timer)],
            "audit": [a.action for a in await rows(AuditEvent) if a.action != "click.refused"],
            "outbox": (await uow.execute(select(func.count()).select_from(OutboxMessage))).scalar_one(),
        }


async def _ids(platform) -> dict:
    async with platform.app.db.uow() as uow:
        first = lambda model: uow.first(select(model).order_by(model.id))  # noqa: E731
        tech = await uow.first(select(Department).where(Department.name == "技术部"))
        return {"r": (await first(CollaborationRequest)).id, "d": tech.id, "t": (await first(Task)).id,
                "i": (await first(Issue)).id, "c": (await first(PlanChange)).id,
                "dv": (await first(Delivery)).id if await first(Delivery) else 1, "x": (await first(Dispute)).id,
                "rk": (await first(Risk)).id, "ai": (await first(ActionItem)).id}


@pytest.mark.parametrize("state", ["completed", "cancelled", "archived"])
async def test_a_closed_request_refuses_every_change(platform, state: str) -> None:
    await _close(platform, state)
    messages = await platform.messages()
    before = await _snapshot(platform)
    assert before["request"][0] == state

    # every button, as rendered on any card still in the chat (stale ones too), or forged
    ids, message_id = await _ids(platform), messages[0]["id"]
    stale = {b["action_id"] for m in messages for b in (m["card"] or {}).get("buttons", [])}
    for action_id, who in CLICKERS.items():
        answer = await platform.click(who, {"action_id": action_id, "value": ids, "message_id": message_id})
        assert answer["ok"] is False, (action_id, answer)
    for command, (who, text) in COMMAND_LINES.items():
        if command in VIEWING or (command == "lesson" and state != "cancelled") or (
                command == "archive" and state == "completed") or (command == "archive_file" and state == "archived"):
            continue
        answer = await platform.say(who, text)
        assert answer["ok"] is False, (command, answer)
        if command not in ("assign", "deliver", "accept", "archive", "archive_file"):  # their own rule first
            assert NUMBER in answer["reply"] and "查看" in answer["reply"], (command, answer)
    await platform.settle()
    assert await _snapshot(platform) == before
    assert stale <= set(CLICKERS)

    # what stays open: looking, and (after closing) the lessons learned
    for command in sorted(VIEWING):
        assert (await platform.say(*COMMAND_LINES[command]))["ok"], command
    if state != "cancelled":
        assert (await platform.say(*COMMAND_LINES["lesson"]))["ok"]
        assert (await _snapshot(platform))["request"][2][-1]["text"] == "接口文档要先行"
    if state == "archived":  # and the initiating department's notes on the archive (R22)
        assert (await platform.say(*COMMAND_LINES["archive_file"]))["ok"]
