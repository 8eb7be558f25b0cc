"""Task and confirmation deadlines, fired by timers: R6 reminders, R9 overdue → 延期,
R10 the 2-working-day risk check, R11 more than 3 days late → high risk and re-plan."""
from __future__ import annotations

from datetime import timedelta

from storage.tables import Task, Timer
from workflows.kernel import audit, authz, outbox, timers
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import confirmations, request_by_id, tasks_of
from workflows.requests.machine import ACTIVE
from workflows.kernel.widgets import mentions
from workflows.tasks.cards import raci_key, risk_check_card, task_alert_card
from workflows.cards import Card
from workflows.errors import Refused, UserError
from workflows.events import Reply

RISK_ORDER = ["low", "medium", "high"]
RISK_AFTER = {"on_track": "low", "at_risk": "medium", "will_be_late": "high"}  # R10 answers


@timers.handles("confirm.remind")
async def remind_confirmations(ctx: Ctx, timer: Timer) -> None:
    """R6: until every involved head has confirmed, remind those who have not — again and again."""
    request = await request_by_id(ctx, timer.request_id, lock=True)
    if request.state != "assigning":
        return
    tasks = await tasks_of(ctx, request.id)
    done = {c.department_id for c in await confirmations(ctx, request.id, "raci")}
    waiting = [d for d in authz.involved_departments(request, tasks) if d not in done]
    heads = authz.heads(ctx, waiting)
    card = Card(title=ctx.t("confirm_remind.title", number=request.number), tone="warning",
                text=ctx.t("confirm_remind.text", number=request.number,
                           depts="、".join(ctx.dept_name(d) for d in waiting)),
                mentions=mentions(ctx, heads))
    outbox.announce(ctx, conversation=request.conversation, card=card, people=heads)
    audit.record(ctx, action="confirm.remind", subject=raci_key(request), request_id=request.id, actor_id=None,
                 detail={"waiting": [ctx.dept_name(d) for d in waiting]})
    timers.set_timer(ctx, kind="confirm.remind", subject=raci_key(request), request_id=request.id,
                     due_at=timer.due_at + timedelta(hours=ctx.policy.confirm_remind_hours), allow_past=True)


async def _live_task(ctx: Ctx, timer: Timer):
    task = await ctx.uow.lock(Task, int(timer.payload["task"]))
    if task is None or task.status == "done":
        return None, None
    request = await request_by_id(ctx, task.request_id)
    if request.state not in ACTIVE:
        return None, None
    return request, task


def _stakeholders(ctx: Ctx, request, task: Task) -> list[int]:
    """Owner, initiator and the lead department's head (R9)."""
    return list(dict.fromkeys([task.owner_id, request.initiator_id, *authz.heads(ctx, [task.lead_department_id])]))


@timers.handles("task.overdue")
async def task_overdue(ctx: Ctx, timer: Timer) -> None:
    """R9: past its due date and not done → 延期, and the owner, initiator and lead head are told."""
    request, task = await _live_task(ctx, timer)
    if task is None or task.status == "delayed":
        return
    before, task.status = task.status, "delayed"
    notify = _stakeholders(ctx, request, task)
    outbox.announce(ctx, conversation=request.conversation, people=notify,
                    card=task_alert_card(ctx, request, task, key="overdue", notify=notify))
    audit.record(ctx, action="task.status", subject=f"task:{task.id}", request_id=request.id,
                 before=before, after="delayed", actor_id=None, detail={"rule": "R9"})


@timers.handles("task.risk_check")
async def task_risk_check(ctx: Ctx, timer: Timer) -> None:
    """R10: 2 working days before the due date, ask the owner: on track / at risk / will be late."""
    request, task = await _live_task(ctx, timer)
    if task is None:
        return
    card = risk_check_card(ctx, request, task)
    outbox.post(ctx, conversation=request.conversation, card=card, card_key=f"riskcheck:{task.id}")
    outbox.direct(ctx, person_id=task.owner_id, card=card)
    audit.record(ctx, action="task.risk_check", subject=f"task:{task.id}", request_id=request.id, actor_id=None)


@timers.handles("task.late")
async def task_late(ctx: Ctx, timer: Timer) -> None:
    """R11: more than 3 days late → risk high, and the initiating department is asked to re-plan."""
    request, task = await _live_task(ctx, timer)
    if task is None:
        return
    before, task.risk = task.risk, "high"
    notify = list(dict.fromkeys([request.initiator_id, *authz.heads(ctx, [request.initiating_department_id])]))
    outbox.announce(ctx, conversation=request.conversation, people=notify, card=task_alert_card(
        ctx, request, task, key="late", notify=notify, days=ctx.policy.late_days_high_risk))
    audit.record(ctx, action="task.risk", subject=f"task:{task.id}", request_id=request.id,
                 before=before, after="high", actor_id=None, detail={"rule": "R11"})


async def answer_risk_check(ctx: Ctx, *, task_id: int, answer: str) -> Reply:
    """R10 answers: at risk / will be late raise the risk and notify the initiator and the heads."""
    task = await ctx.uow.lock(Task, int(task_id))
    if task is None:
        raise UserError("error.unknown_task", number="", seq=task_id)
    request = await request_by_id(ctx, task.request_id)
    if ctx.actor is None or ctx.actor.id not in authz.may_update_task(ctx, task):
        raise Refused("refused.task", task=task.title, owner=ctx.person_name(task.owner_id))
    before = task.risk
    task.risk = max(task.risk, RISK_AFTER[answer], key=RISK_ORDER.index)
    audit.record(ctx, action=f"task.{answer}", subject=f"task:{task.id}", request_id=request.id,
                 before=before, after=task.risk, detail={"rule": "R10"})
    card = Card(title=ctx.t("riskcheck.answered.title", number=request.number, seq=task.seq, task=task.title),
                tone="success" if answer == "on_track" else "warning",
                text=ctx.t(f"riskcheck.answer.{answer}", who=ctx.actor.name))
    outbox.show(ctx, conversation=request.conversation, card_key=f"riskcheck:{task.id}", card=card)
    if answer != "on_track":
        notify = list(dict.fromkeys([request.initiator_id, *authz.heads(
            ctx, authz.involved_departments(request, [task]))]))
        outbox.announce(ctx, conversation=request.conversation, people=notify, card=task_alert_card(
            ctx, request, task, key=f"risk_{answer}", notify=notify, who=ctx.actor.name))
    return Reply(text=ctx.t(f"riskcheck.answer.{answer}", who=ctx.actor.name))
