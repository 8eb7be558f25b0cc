"""Task and sign-off deadlines as timers: R6 reminders until every head has confirmed, R9
overdue → 延期, R10 the 2-working-day risk check, R11 more than 3 days late → high risk and
re-plan. Every handler re-reads its subject under a lock and does nothing if it moved on."""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from storage.tables import CollaborationRequest, Task, Timer
from workflows.cards import Card
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import confirmations, tasks_of
from workflows.kernel.widgets import mentions
from workflows.requests.guard import timer_request
from workflows.risks import triggers as risks
from workflows.tasks.cards import risk_check_card, task_alert_card
from workflows.tasks.machine import TASK, TaskStatus

log = logging.getLogger("collab.timers")

CONFIRM_REMIND = "confirm.remind"  # R6
TASK_OVERDUE, TASK_RISK_CHECK, TASK_LATE = "task.overdue", "task.risk_check", "task.late"
TASK_TIMERS = [TASK_OVERDUE, TASK_RISK_CHECK, TASK_LATE]


def overdue_at(ctx: Ctx, due: date, *, working_days_late: int = 0) -> datetime:
    """When a date's lateness is announced: a day is due at its end of work (17:00 by policy),
    so the notice goes out at the start of the next working day — never at midnight, never on
    a holiday. `working_days_late` more working days for R11's "more than N days late"."""
    cal = ctx.calendar
    day = cal.add_working_days(due, working_days_late) if working_days_late else due
    return cal.at_local(cal.next_working_day(day), cal.work_start)


def schedule_task_timers(ctx: Ctx, request: CollaborationRequest, task: Task) -> None:
    """R9 overdue, R10 the 2-working-day risk check, R11 more than N working days late. A date
    already past fires at once: a task due before it was signed off is flagged, not forgotten."""
    if task.due_date is None:
        return
    cal, subject = ctx.calendar, keys.task_subject(task.id)
    timers.set_timer(ctx, kind=TASK_OVERDUE, subject=subject, request_id=request.id,
                     due_at=overdue_at(ctx, task.due_date), task=task.id, allow_past=True)
    check_day = cal.add_working_days(task.due_date, -ctx.policy.risk_check_working_days)
    timers.set_timer(ctx, kind=TASK_RISK_CHECK, subject=subject, request_id=request.id,
                     due_at=cal.at_local(check_day, time(10, 0)), task=task.id)
    timers.set_timer(ctx, kind=TASK_LATE, subject=subject, request_id=request.id, task=task.id, allow_past=True,
                     due_at=overdue_at(ctx, task.due_date, working_days_late=ctx.policy.late_days_high_risk))


def stakeholders_of_risk(ctx: Ctx, request: CollaborationRequest, task: Task) -> list[int]:
    """R10: the initiator and the heads of every department the task involves."""
    return list(dict.fromkeys([request.initiator_id, *authz.heads(
        ctx, authz.involved_departments(request, [task]))]))


async def remind_confirmations(ctx: Ctx, timer: Timer) -> None:
    """R6: until every involved head has confirmed, remind those who have not — again and again."""
    request = await timer_request(ctx, timer, doing="confirm", lock=True)
    if request is None:
        return
    tasks = await tasks_of(ctx, request.id)
    done = {c.department_id for c in await confirmations(ctx, request.id, "raci")}
    waiting = [d for d in authz.involved_departments(request, tasks) if d not in done]
    heads = authz.heads(ctx, waiting)
    card = Card(title=ctx.t("confirm_remind.title", number=request.number), tone="warning",
                text=ctx.t("confirm_remind.text", number=request.number,
                           depts=ctx.join(ctx.dept_name(d) for d in waiting)),
                mentions=mentions(ctx, heads))
    outbox.announce(ctx, conversation=request.conversation, card=card, people=heads)
    audit.record(ctx, action=CONFIRM_REMIND, subject=keys.raci_card(request.id), request_id=request.id,
                 actor_id=None, detail={"waiting": [ctx.dept_name(d) for d in waiting]})
    timers.set_timer(ctx, kind=CONFIRM_REMIND, subject=keys.raci_card(request.id), request_id=request.id,
                     due_at=timer.due_at + timedelta(hours=ctx.policy.confirm_remind_hours), allow_past=True)


async def _live_task(ctx: Ctx, timer: Timer, action: str) -> tuple[CollaborationRequest | None, Task | None]:
    """The task when `action` still applies to it and its request still runs."""
    task = await ctx.uow.lock(Task, int(timer.payload["task"]))
    if task is None or (action and not TASK.can(task.status, action)) or task.status == TaskStatus.DONE:
        log.info("timer %s (%s): task moved on — nothing to do", timer.id, timer.kind)
        return None, None
    request = await timer_request(ctx, timer, doing="task", request_id=task.request_id)
    return (request, task) if request is not None else (None, None)


def _owner_side(ctx: Ctx, request: CollaborationRequest, task: Task) -> list[int]:
    """Owner, initiator and the lead department's head (R9)."""
    return list(dict.fromkeys([task.owner_id, request.initiator_id, *authz.heads(ctx, [task.lead_department_id])]))


async def task_overdue(ctx: Ctx, timer: Timer) -> None:
    """R9: past its due date and not done → 延期, and the owner, initiator and lead head are told."""
    request, task = await _live_task(ctx, timer, "delay")
    if request is None or task is None:
        return
    before, task.status = task.status, TASK.next(task.status, "delay")
    notify = _owner_side(ctx, request, task)
    outbox.announce(ctx, conversation=request.conversation, people=notify,
                    card=task_alert_card(ctx, request, task, key="overdue", notify=notify))
    audit.record(ctx, action="task.status", subject=keys.task_subject(task.id), request_id=request.id,
                 before=before, after=task.status, actor_id=None, detail={"rule": "R9"})
    await risks.task_delayed(ctx, request, task)  # R32: risks triggered by this task going 延期


async def task_risk_check(ctx: Ctx, timer: Timer) -> None:
    """R10: 2 working days before the due date, ask the owner: on track / at risk / will be late."""
    request, task = await _live_task(ctx, timer, "")
    if request is None or task is None:
        return
    card = risk_check_card(ctx, request, task)
    outbox.post(ctx, conversation=request.conversation, card=card, card_key=keys.risk_check(task.id))
    outbox.direct(ctx, person_id=task.owner_id, card=card)
    audit.record(ctx, action="task.risk_check", subject=keys.task_subject(task.id), request_id=request.id,
                 actor_id=None)


async def task_late(ctx: Ctx, timer: Timer) -> None:
    """R11: more than 3 days late → risk high, and the initiating department is asked to re-plan.
    R32: this is the register's built-in trigger — the notice is the built-in risk's card, and
    the risk raises its issue like any other met trigger."""
    request, task = await _live_task(ctx, timer, "")
    if request is None or task is None:
        return
    before, task.risk = task.risk, "high"
    days = ctx.policy.late_days_high_risk
    notify = list(dict.fromkeys([request.initiator_id, *authz.heads(ctx, [request.initiating_department_id])]))
    notice = task_alert_card(ctx, request, task, key="late", notify=notify, days=days)
    audit.record(ctx, action="task.risk", subject=keys.task_subject(task.id), request_id=request.id,
                 before=before, after="high", actor_id=None, detail={"rule": "R11"})
    if await risks.task_late(ctx, request, task, days=days, notice=notice, notify=notify) is None:
        outbox.announce(ctx, conversation=request.conversation, people=notify, card=notice)


TIMERS = {CONFIRM_REMIND: remind_confirmations, TASK_OVERDUE: task_overdue,
          TASK_RISK_CHECK: task_risk_check, TASK_LATE: task_late}
