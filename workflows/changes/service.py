"""R17 plan changes: proposed with reason and impact, effective only when every involved head
has confirmed; the old plan stays visible on the card and in the archive."""
from __future__ import annotations

from datetime import date
from typing import Any

from storage.tables import PlanChange
from workflows.kernel import audit, authz, outbox, timers
from workflows.grammar.commands import Command
from workflows.kernel.context import Ctx
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.kernel.lookups import confirmations, next_seq, request_by_id, request_by_number, tasks_of
from workflows.requests.service import parse_day
from workflows.tasks.service import schedule_task_timers
from workflows.kernel.signoff import all_signed, sign
from workflows.requests.machine import CHANGEABLE
from workflows.changes.cards import change_card, change_key

TASK_TIMERS = ["task.overdue", "task.risk_check", "task.late"]


def _task_dates(value: Any) -> dict[str, str]:
    """`1=8/20, 2=8/25` (text) or {1: "8/20"} (parsed) → {"1": "8/20"}."""
    if isinstance(value, dict):
        return {str(k).strip(): str(v).strip() for k, v in value.items()}
    out = {}
    for part in str(value or "").replace("，", ",").replace("；", ",").replace(";", ",").split(","):
        if "=" in part:
            seq, day = part.split("=", 1)
            out[seq.strip().lstrip("#")] = day.strip()
    return out


async def propose(ctx: Ctx, *, command: Command) -> Reply:
    request = await request_by_number(ctx, command.ref, lock=True)
    if ctx.actor is None:
        raise Refused("refused.manage", number=request.number)
    tasks = await tasks_of(ctx, request.id)
    involved = authz.involved_departments(request, tasks)
    if ctx.actor.department_id not in involved:
        raise Refused("refused.not_involved", dept=ctx.dept_name(ctx.actor.department_id))
    if request.state not in CHANGEABLE:
        raise UserError("error.state", number=request.number, state=ctx.t(f"state.{request.state}"))
    f = command.fields
    reason = str(f.get("reason") or command.text or "").strip()
    if not reason:
        raise UserError("error.change_reason", field="reason", usage="change")
    proposal: dict[str, Any] = {}
    if f.get("due"):
        proposal["due"] = parse_day(ctx, f["due"], field="due").isoformat()
    by_seq = {str(t.seq): t for t in tasks}
    for seq, day in _task_dates(f.get("tasks")).items():
        if seq not in by_seq:
            raise UserError("error.unknown_task", number=request.number, seq=seq)
        proposal.setdefault("tasks", {})[seq] = parse_day(ctx, day, field="tasks").isoformat()
    if f.get("scope"):
        proposal["scope"] = str(f["scope"]).strip()
    if not proposal:
        raise UserError("error.change_empty", usage="change")
    old = {"due": request.due_date.isoformat() if request.due_date else None,
           "tasks": {seq: by_seq[seq].due_date.isoformat() for seq in proposal.get("tasks", {})
                     if by_seq[seq].due_date},
           "scope": request.standard if "scope" in proposal else None}
    change = PlanChange(request_id=request.id, seq=await next_seq(ctx, PlanChange, request.id), reason=reason,
                        impact=str(f.get("impact") or ""), proposal=proposal,
                        old_plan={k: v for k, v in old.items() if v}, proposed_by=ctx.actor.id,
                        proposed_at=ctx.now)
    ctx.uow.add(change)
    await ctx.uow.flush()
    audit.record(ctx, action="change.propose", subject=change_key(change), request_id=request.id,
                 after="proposed", detail={"proposal": proposal, "reason": reason})
    outbox.post(ctx, conversation=request.conversation, card_key=change_key(change),
                card=change_card(ctx, request, change, involved, []))
    return Reply(text=ctx.t("reply.change_proposed", number=request.number, seq=change.seq))


async def decide(ctx: Ctx, *, change_id: int, dept_id: int | None, approve: bool) -> Reply:
    change = await ctx.uow.lock(PlanChange, int(change_id))
    if change is None:
        raise UserError("error.unknown_change")
    request = await request_by_id(ctx, change.request_id, lock=True)
    tasks = await tasks_of(ctx, request.id)
    involved = authz.involved_departments(request, tasks)
    allowed = authz.may_confirm_for(ctx, dept_id) if dept_id is not None else authz.heads(ctx, involved)
    if ctx.actor is None or ctx.actor.id not in allowed:
        raise Refused("refused.confirm", dept=ctx.dept_name(dept_id) if dept_id else ctx.t("refused.any_head"))
    done = await confirmations(ctx, request.id, "change", change.id)
    if change.state != "proposed":
        return Reply(ok=False, text=ctx.t("reply.change_decided", seq=change.seq,
                                          state=ctx.t(f"change_state.{change.state}")))
    if approve:
        done, already = await sign(ctx, request=request, kind="change", subject_id=change.id, dept_id=dept_id,
                                   required=involved, open_for_signing=True, action="change.approve",
                                   subject=change_key(change))
        if already:
            return already
        if all_signed(done, involved):
            await _apply(ctx, request, change, tasks)
    else:
        change.state, change.decided_at = "rejected", ctx.now
        audit.record(ctx, action="change.reject", subject=change_key(change), request_id=request.id,
                     before="proposed", after="rejected")
    outbox.show(ctx, conversation=request.conversation, card_key=change_key(change),
                card=change_card(ctx, request, change, involved, done))
    return Reply(text=ctx.t("reply.change_" + ("applied" if change.state == "approved" else
                                               "approved_by" if approve else "rejected"),
                            seq=change.seq, dept=ctx.dept_name(dept_id)))


async def _apply(ctx: Ctx, request, change: PlanChange, tasks) -> None:
    """Every head confirmed: the new dates take effect and their timers move with them."""
    change.state, change.decided_at = "approved", ctx.now
    p = change.proposal
    if p.get("due"):
        request.due_date = date.fromisoformat(p["due"])
    if p.get("scope"):
        request.standard = p["scope"]
    for task in tasks:
        new_due = (p.get("tasks") or {}).get(str(task.seq))
        if new_due:
            task.due_date = date.fromisoformat(new_due)
            if task.status == "delayed" and task.due_date >= ctx.today:
                task.status = "in_progress"
            await timers.cancel(ctx.uow, subject=f"task:{task.id}", kinds=TASK_TIMERS)
            schedule_task_timers(ctx, request, task)
    request.updated_at = ctx.now
    audit.record(ctx, action="change.apply", subject=change_key(change), request_id=request.id,
                 before=str(change.old_plan), after=str(p))
