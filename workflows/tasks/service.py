"""Splitting the work (R5) and every involved head's 签字确认 (R6); then execution starts."""
from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from storage.tables import CollaborationRequest, Task
from workflows.kernel import audit, authz, outbox, timers
from workflows.kernel.context import Ctx
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.kernel.lookups import confirmations, dept_ids, person_id, request_by_id, tasks_of
from workflows.requests.service import parse_day
from workflows.kernel.signoff import all_signed, sign
from workflows.requests.machine import next_state
from workflows.requests.cards import request_card, request_key
from workflows.tasks.cards import raci_card, raci_key, raci_form

SPLIT = ("、", ",", "，", "/", ";", "；")


def names(value: Any) -> list[str]:
    """Department lists arrive as lists (forms) or text (commands): `设计部、市场部`."""
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value)
    for sep in SPLIT[1:]:
        text = text.replace(sep, SPLIT[0])
    return [p.strip() for p in text.split(SPLIT[0]) if p.strip()]


def build_task(ctx: Ctx, spec: dict[str, Any], *, request: CollaborationRequest, seq: int) -> Task:
    """R5: exactly one lead department, an owner, a standard and dates."""
    for required in ("task", "lead", "owner", "due"):
        if not spec.get(required):
            raise UserError("error.task_field", field=required, name=ctx.t(f"field.{required}"), seq=seq,
                            usage="assign")
    lead = dept_ids(ctx, names(spec["lead"]), field="lead")
    if len(lead) != 1:
        raise UserError("error.one_lead", field="lead", seq=seq)
    accountable = dept_ids(ctx, names(spec.get("accountable")), field="accountable")
    due = parse_day(ctx, spec["due"], field="due")
    start = parse_day(ctx, spec["start"], field="start") if spec.get("start") else None
    if start and start > due:
        raise UserError("error.start_after_due", field="start", seq=seq)
    return Task(request_id=request.id, seq=seq, title=str(spec["task"]).strip()[:100],
                lead_department_id=lead[0],
                accountable_department_id=accountable[0] if accountable else None,
                consulted=dept_ids(ctx, names(spec.get("consulted")), field="consulted"),
                informed=dept_ids(ctx, names(spec.get("informed")), field="informed"),
                supporting=dept_ids(ctx, names(spec.get("support")), field="support"),
                owner_id=person_id(ctx, str(spec["owner"]), field="owner"),
                standard=str(spec.get("standard") or "").strip(), start_date=start, due_date=due)


async def open_form(ctx: Ctx, *, request_id: int) -> Reply:
    request = await request_by_id(ctx, request_id)
    _may_assign(ctx, request)
    return Reply(form=raci_form(ctx, request))


def _may_assign(ctx: Ctx, request: CollaborationRequest) -> None:
    if ctx.actor is None or ctx.actor.id not in authz.may_manage(ctx, request):
        raise Refused("refused.manage", number=request.number)
    if request.state not in ("approved", "assigning"):
        raise UserError("error.state", number=request.number, state=ctx.t(f"state.{request.state}"))


async def assign(ctx: Ctx, *, request: CollaborationRequest, specs: list[dict[str, Any]]) -> Reply:
    """Add tasks to the split; a changed split needs everyone's confirmation again (R6)."""
    request = await request_by_id(ctx, request.id, lock=True)
    _may_assign(ctx, request)
    existing = await tasks_of(ctx, request.id)
    new = [build_task(ctx, spec, request=request, seq=len(existing) + i + 1) for i, spec in enumerate(specs)]
    if not new:
        return Reply(form=raci_form(ctx, request))
    for task in new:
        ctx.uow.add(task)
    before = request.state
    request.state, request.updated_at = next_state(before, "assign"), ctx.now
    old = await confirmations(ctx, request.id, "raci")
    for c in old:
        await ctx.uow.session.delete(c)
    await ctx.uow.flush()
    audit.record(ctx, action="request.assign", subject=raci_key(request), request_id=request.id,
                 before=before, after=request.state,
                 detail={"tasks": [t.title for t in new], "confirmations_reset": len(old)})
    tasks = existing + new
    card = raci_card(ctx, request, tasks, [])
    if existing:
        outbox.show(ctx, conversation=request.conversation, card_key=raci_key(request), card=card)
    else:
        outbox.post(ctx, conversation=request.conversation, card_key=raci_key(request), card=card)
    await timers.cancel(ctx.uow, subject=raci_key(request), kinds=["confirm.remind"])
    timers.set_timer(ctx, kind="confirm.remind", subject=raci_key(request), request_id=request.id,
                     due_at=ctx.now + timedelta(hours=ctx.policy.confirm_remind_hours))
    return Reply(text=ctx.t("reply.assigned", number=request.number, count=len(new), total=len(tasks)))


async def confirm(ctx: Ctx, *, request_id: int, dept_id: int) -> Reply:
    """R6: the head signs for their own department only; the last signature starts execution."""
    request = await request_by_id(ctx, request_id, lock=True)
    tasks = await tasks_of(ctx, request.id)
    involved = authz.involved_departments(request, tasks)
    done, already = await sign(ctx, request=request, kind="raci", dept_id=dept_id, required=involved,
                               open_for_signing=request.state == "assigning", action="task.confirm",
                               subject=raci_key(request))
    if already:
        return already
    if all_signed(done, involved):
        await start_execution(ctx, request, tasks)
    outbox.show(ctx, conversation=request.conversation, card_key=raci_key(request),
                card=raci_card(ctx, request, tasks, done))
    return Reply(text=ctx.t("reply.confirmed", dept=ctx.dept_name(dept_id), number=request.number))


async def start_execution(ctx: Ctx, request: CollaborationRequest, tasks: list[Task]) -> None:
    before = request.state
    request.state, request.updated_at = next_state(before, "confirm_all"), ctx.now
    await timers.cancel(ctx.uow, subject=raci_key(request), kinds=["confirm.remind"])
    for task in tasks:
        if task.start_date is None or task.start_date <= ctx.today:
            task.status = "in_progress"
        schedule_task_timers(ctx, request, task)
    audit.record(ctx, action="request.execute", subject=request_key(request), request_id=request.id,
                 before=before, after=request.state)
    outbox.show(ctx, conversation=request.conversation, card_key=request_key(request),
                card=request_card(ctx, request))


def schedule_task_timers(ctx: Ctx, request: CollaborationRequest, task: Task) -> None:
    """R9 overdue, R10 the 2-working-day risk check, R11 more than N days late."""
    if task.due_date is None:
        return
    cal, subject = ctx.calendar, f"task:{task.id}"
    day_after: date = task.due_date + timedelta(days=1)
    timers.set_timer(ctx, kind="task.overdue", subject=subject, request_id=request.id,
                     due_at=cal.at_local(day_after, time(0, 0)), task=task.id)
    check_day = cal.add_working_days(task.due_date, -ctx.policy.risk_check_working_days)
    timers.set_timer(ctx, kind="task.risk_check", subject=subject, request_id=request.id,
                     due_at=cal.at_local(check_day, time(10, 0)), task=task.id)
    late = task.due_date + timedelta(days=ctx.policy.late_days_high_risk + 1)
    timers.set_timer(ctx, kind="task.late", subject=subject, request_id=request.id,
                     due_at=cal.at_local(late, time(0, 0)), task=task.id)
