"""Splitting the work (R5), every involved head's 签字确认 (R6) — then execution starts — and
the task owner's own updates: status and risk by hand (R9), answers to the risk check (R10)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Mapping

from storage.tables import CollaborationRequest, Task
from workflows.cards import Card
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.grammar.vocabulary import names
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import confirmations, dept_ids, person_id, task_by_seq, tasks_of
from workflows.kernel.signoff import all_signed, sign
from workflows.memo import service as memo
from workflows.risks import triggers as risks
from workflows.requests.cards import assign_prompt_card, request_card
from workflows.requests.guard import open_request, require
from workflows.requests.machine import REQUEST
from workflows.requests.service import parse_day
from workflows.tasks.cards import raci_card, raci_form, task_alert_card
from workflows.tasks.deadlines import CONFIRM_REMIND, schedule_task_timers, stakeholders_of_risk
from workflows.tasks.machine import TASK, TaskStatus, action_to, raised

RISK_AFTER = {"on_track": "low", "at_risk": "medium", "will_be_late": "high"}  # R10 answers


@dataclass(frozen=True)
class TaskSpec:
    """One task line of the split (R5), typed or from the form."""

    task: str
    lead: list[str]
    owner: str
    due: str
    start: str = ""
    standard: str = ""
    accountable: list[str] = field(default_factory=list)
    consulted: list[str] = field(default_factory=list)
    informed: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, spec: Mapping[str, Any], *, seq: int, t: Any) -> "TaskSpec":
        for required in ("task", "lead", "owner", "due"):
            if not spec.get(required):
                raise UserError("error.task_field", field=required, name=t(f"field.{required}"), seq=seq,
                                usage="assign")
        text = lambda k: str(spec.get(k) or "").strip()  # noqa: E731
        return cls(task=text("task"), lead=names(spec["lead"]), owner=text("owner"), due=text("due"),
                   start=text("start"), standard=text("standard"), accountable=names(spec.get("accountable")),
                   consulted=names(spec.get("consulted")), informed=names(spec.get("informed")),
                   support=names(spec.get("support")))


def build_task(ctx: Ctx, spec: TaskSpec, *, request: CollaborationRequest, seq: int) -> Task:
    """R5: exactly one lead department, an owner, a standard and dates."""
    lead = dept_ids(ctx, spec.lead, field="lead")
    if len(lead) != 1:
        raise UserError("error.one_lead", field="lead", seq=seq)
    accountable = dept_ids(ctx, spec.accountable, field="accountable")
    due = parse_day(ctx, spec.due, field="due")
    if due < ctx.today:  # a date already gone is a typo or a question, never silently accepted
        raise UserError("error.task_date_in_past", field="due", seq=seq, day=due.isoformat())
    start = parse_day(ctx, spec.start, field="start") if spec.start else None
    if start and start > due:
        raise UserError("error.start_after_due", field="start", seq=seq)
    if not spec.standard:  # R5: what "done" means for this task, agreed before anyone signs
        raise UserError("error.task_standard", field="standard", seq=seq, usage="assign")
    owner = ctx.person(person_id(ctx, spec.owner, field="owner"))
    supporting = dept_ids(ctx, spec.support, field="support")
    if owner is not None and owner.department_id not in (lead[0], None) and owner.department_id not in supporting:
        # an owner lent by another department: that department signs the split too (R6)
        supporting.append(owner.department_id)
    return Task(request_id=request.id, seq=seq, title=spec.task[:100], lead_department_id=lead[0],
                accountable_department_id=accountable[0] if accountable else None,
                consulted=dept_ids(ctx, spec.consulted, field="consulted"),
                informed=dept_ids(ctx, spec.informed, field="informed"),
                supporting=supporting, owner_id=owner.id if owner else None,
                standard=spec.standard, start_date=start, due_date=due)


def _may_assign(ctx: Ctx, request: CollaborationRequest) -> None:
    if ctx.actor is None or ctx.actor.id not in authz.may_manage(ctx, request):
        raise Refused("refused.manage", number=request.number)
    require(ctx, request, "assign")


async def open_form(ctx: Ctx, *, request_id: int) -> Reply:
    request = await open_request(ctx, request_id=request_id, doing="view")
    _may_assign(ctx, request)
    return Reply(form=raci_form(ctx, request))


async def assign(ctx: Ctx, *, request_id: int | None = None, number: str | None = None,
                 specs: list[Mapping[str, Any]]) -> Reply:
    """Add tasks to the split; a changed split needs everyone's confirmation again (R6)."""
    request = await open_request(ctx, request_id=request_id, number=number, doing="view", lock=True)
    _may_assign(ctx, request)
    if not specs:
        return Reply(form=raci_form(ctx, request))
    existing = await tasks_of(ctx, request.id)
    new = [build_task(ctx, TaskSpec.of(spec, seq=len(existing) + i + 1, t=ctx.t), request=request,
                      seq=len(existing) + i + 1) for i, spec in enumerate(specs)]
    for task in new:
        ctx.uow.add(task)
    before = request.state
    request.state, request.updated_at = REQUEST.next(before, "assign"), ctx.now
    old = await confirmations(ctx, request.id, "raci")
    for c in old:
        await ctx.uow.session.delete(c)
    await ctx.uow.flush()
    key = keys.raci_card(request.id)
    audit.record(ctx, action="request.assign", subject=key, request_id=request.id,
                 before=before, after=request.state,
                 detail={"tasks": [t.title for t in new], "confirmations_reset": len(old)})
    tasks = existing + new
    card = raci_card(ctx, request, tasks, [])
    if existing:
        outbox.show(ctx, conversation=request.conversation, card_key=key, card=card)
    else:
        outbox.post(ctx, conversation=request.conversation, card_key=key, card=card)
    await timers.cancel(ctx.uow, subject=key, kinds=[CONFIRM_REMIND])
    timers.set_timer(ctx, kind=CONFIRM_REMIND, subject=key, request_id=request.id,
                     due_at=ctx.now + timedelta(hours=ctx.policy.confirm_remind_hours))
    late = [ctx.t("warning.after_request_due", what=f"{t.seq}. {t.title}", day=t.due_date.isoformat(),
                  due=request.due_date.isoformat()) for t in new
            if request.due_date and t.due_date and t.due_date > request.due_date]
    return Reply(text="\n".join([ctx.t("reply.assigned", number=request.number, count=len(new), total=len(tasks)),
                                 *late]))


async def confirm(ctx: Ctx, *, request_id: int, dept_id: int) -> Reply:
    """R6: the head signs for their own department only; the last signature starts execution."""
    request = await open_request(ctx, request_id=request_id, doing="view", lock=True)
    tasks = await tasks_of(ctx, request.id)
    involved = authz.involved_departments(request, tasks)
    done, already = await sign(ctx, request=request, kind="raci", dept_id=dept_id, required=involved,
                               guard=lambda: require(ctx, request, "confirm"), action="task.confirm",
                               subject=keys.raci_card(request.id))
    if already:
        return already
    if all_signed(done, involved):
        await memo.issue(ctx, request, tasks)  # R30 (first: its flush must not swallow the new timers)
        await start_execution(ctx, request, tasks)
    outbox.show(ctx, conversation=request.conversation, card_key=keys.raci_card(request.id),
                card=raci_card(ctx, request, tasks, done))
    return Reply(text=ctx.t("reply.confirmed", dept=ctx.dept_name(dept_id), number=request.number))


async def start_execution(ctx: Ctx, request: CollaborationRequest, tasks: list[Task]) -> None:
    before = request.state
    request.state, request.updated_at = REQUEST.next(before, "confirm_all"), ctx.now
    await timers.cancel(ctx.uow, subject=keys.raci_card(request.id), kinds=[CONFIRM_REMIND])
    for task in tasks:
        if task.start_date is None or task.start_date <= ctx.today:
            task.status = TASK.next(task.status, "start")
        schedule_task_timers(ctx, request, task)
    audit.record(ctx, action="request.execute", subject=keys.request_card(request.id), request_id=request.id,
                 before=before, after=request.state)
    outbox.show(ctx, conversation=request.conversation, card_key=keys.request_card(request.id),
                card=request_card(ctx, request))
    # the split is final: the "split the work" button has had its moment
    outbox.show(ctx, conversation=request.conversation, card_key=keys.assign_prompt(request.id),
                card=assign_prompt_card(ctx, request))


def _may_update(ctx: Ctx, task: Task) -> None:
    if ctx.actor is None or ctx.actor.id not in authz.may_update_task(ctx, task):
        raise Refused("refused.task", task=task.title, owner=ctx.person_name(task.owner_id))


async def update_status(ctx: Ctx, *, number: str | None, seq: int | None, status: str | None,
                        risk: str | None) -> Reply:
    """R9: the owner (or the lead head) sets status and/or risk by hand."""
    request = await open_request(ctx, number=number, doing="task", lock=True)
    task = await task_by_seq(ctx, request, seq)
    _may_update(ctx, task)
    if status is None and risk is None:
        raise UserError("error.status_missing", usage="status")
    before = f"{task.status}/{task.risk}"
    if status and status != task.status:
        action = action_to(task.status, status)
        if action is None:
            raise UserError("error.task_status", task=task.title, status=ctx.t(f"status.{task.status}"),
                            to=ctx.t(f"status.{status}"))
        task.status = TASK.next(task.status, action)
        task.done_at = ctx.now if task.status == TaskStatus.DONE else None
        if task.status == TaskStatus.DELAYED:
            await risks.task_delayed(ctx, request, task)  # R32
        if task.status == TaskStatus.DONE:
            await timers.cancel(ctx.uow, subject=keys.task_subject(task.id))
    if risk:
        task.risk = risk
    audit.record(ctx, action="task.status", subject=keys.task_subject(task.id), request_id=request.id,
                 before=before, after=f"{task.status}/{task.risk}")
    return Reply(text=ctx.t("reply.status", task=task.title, status=ctx.t(f"status.{task.status}"),
                            risk=ctx.t(f"risk.{task.risk}")))


async def answer_risk_check(ctx: Ctx, *, task_id: int, answer: str) -> Reply:
    """R10 answers: at risk / will be late raise the risk and notify the initiator and the heads."""
    task = await ctx.uow.lock(Task, task_id)
    if task is None:
        raise UserError("error.unknown_task", number="", seq=task_id)
    request = await open_request(ctx, request_id=task.request_id, doing="task")
    _may_update(ctx, task)
    before = task.risk
    task.risk = raised(task.risk, RISK_AFTER[answer])
    audit.record(ctx, action=f"task.{answer}", subject=keys.task_subject(task.id), request_id=request.id,
                 before=before, after=task.risk, detail={"rule": "R10"})
    card = Card(title=ctx.t("riskcheck.answered.title", number=request.number, seq=task.seq, task=task.title),
                tone="success" if answer == "on_track" else "warning",
                text=ctx.t(f"riskcheck.answer.{answer}", who=ctx.actor.name))  # type: ignore[union-attr]
    outbox.show(ctx, conversation=request.conversation, card_key=keys.risk_check(task.id), card=card)
    if answer != "on_track":
        notify = stakeholders_of_risk(ctx, request, task)
        outbox.announce(ctx, conversation=request.conversation, people=notify, card=task_alert_card(
            ctx, request, task, key=f"risk_{answer}", notify=notify, who=ctx.actor.name))  # type: ignore[union-attr]
    return Reply(text=ctx.t(f"riskcheck.answer.{answer}", who=ctx.actor.name))  # type: ignore[union-attr]
