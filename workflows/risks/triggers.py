"""The triggers the bot watches itself (R32), each raising the risk as an issue: a date (that
working morning), a task going 延期 (R9), an issue still unresolved at its 解决时限 (R12), and
the built-in one — R11's "more than 3 working days late", which enters the register as a risk
already triggered, so the register and the issue list show it like any other."""
from __future__ import annotations

import logging
from typing import Sequence

from sqlmodel import col, select

from storage.tables import CollaborationRequest, Issue, Risk, Task, Timer
from workflows.cards import Card
from workflows.issues.machine import IssueState
from workflows.kernel import timers
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import next_seq
from workflows.requests.guard import timer_request
from workflows.risks.machine import RISK, RiskState
from workflows.risks.service import ISSUE_DUE, TRIGGER, raise_risk

log = logging.getLogger("collab.timers")
LATE = "late"  # `Risk.builtin` of R11's risk


async def _open_risk(ctx: Ctx, timer: Timer) -> tuple[CollaborationRequest | None, Risk | None]:
    risk = await ctx.uow.lock(Risk, int(timer.payload["risk"]))
    if risk is None or not RISK.can(risk.state, "trigger"):
        log.info("timer %s (%s): risk moved on — nothing to do", timer.id, timer.kind)
        return None, None
    request = await timer_request(ctx, timer, doing="issue", request_id=risk.request_id)
    return (request, risk) if request is not None else (None, None)


async def date_reached(ctx: Ctx, timer: Timer) -> None:
    """The trigger date came and the risk is still open: it raises itself as an issue."""
    request, risk = await _open_risk(ctx, timer)
    if request is None or risk is None:
        return
    await raise_risk(ctx, request, risk, why=ctx.t("risk.why.date", day=risk.trigger_date.isoformat()))  # type: ignore[union-attr]


async def issue_due(ctx: Ctx, timer: Timer) -> None:
    """The watched issue's 解决时限 came: still unresolved → the risk raises itself; resolved in
    time → the risk stays open for people to close; a deadline moved later → watch the new one."""
    request, risk = await _open_risk(ctx, timer)
    if request is None or risk is None:
        return
    issue = await ctx.uow.get(Issue, risk.trigger_issue_id)
    if issue is None or issue.state == IssueState.RESOLVED:
        return
    if issue.deadline is not None and issue.deadline > timer.due_at:
        timers.set_timer(ctx, kind=ISSUE_DUE, subject=timer.subject, request_id=request.id, risk=risk.id,
                         due_at=issue.deadline)
        return
    await raise_risk(ctx, request, risk, why=ctx.t("risk.why.issue", seq=issue.seq,
                                                   when=ctx.local_text(issue.deadline or timer.due_at)))


async def task_delayed(ctx: Ctx, request: CollaborationRequest, task: Task) -> None:
    """A task just went 延期 (R9): every open risk whose trigger names it raises itself (R32)."""
    rows = await ctx.uow.all(select(Risk).where(Risk.trigger_task_id == task.id, Risk.state == RiskState.OPEN,
                                                Risk.builtin == "").order_by(col(Risk.seq)))
    for risk in rows:
        await raise_risk(ctx, request, risk, why=ctx.t("risk.why.task", seq=task.seq, task=task.title))


async def task_late(ctx: Ctx, request: CollaborationRequest, task: Task, *, days: int, notice: Card,
                    notify: Sequence[int]) -> Issue | None:
    """R11 as the register's built-in trigger: the task is more than `days` working days late,
    so a risk (the late task's department and owner; re-planning as the countermeasure) enters
    the register already met and raises its issue; its card is R11's `notice`, so those told
    are told once. None (nothing done) while an earlier built-in risk of this task is open."""
    held = await ctx.uow.first(select(Risk).where(Risk.trigger_task_id == task.id, Risk.builtin == LATE,
                                                  Risk.state != RiskState.CLOSED))
    if held is not None:
        return None
    risk = Risk(request_id=request.id, seq=await next_seq(ctx, Risk, request.id),
                description=ctx.t("risk.late.desc", seq=task.seq, task=task.title, days=days)[:200],
                department_id=task.lead_department_id, countermeasure=ctx.t("risk.late.countermeasure"),
                trigger=ctx.t("risk.late.trigger", seq=task.seq, days=days), trigger_task_id=task.id,
                builtin=LATE, probability="high", impact="high", owner_id=task.owner_id,
                created_by=request.initiator_id, created_at=ctx.now)
    ctx.uow.add(risk)
    await ctx.uow.flush()
    return await raise_risk(ctx, request, risk, why=ctx.t("risk.why.late"),
                            notice=notice, notify=notify)


TIMERS = {TRIGGER: date_reached, ISSUE_DUE: issue_due}
