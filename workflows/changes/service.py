"""R17 plan changes: proposed with reason and impact, effective only when every involved head
has confirmed; the old plan stays visible on the card and in the archive."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from sqlmodel import select

from storage.tables import PlanChange
from workflows.cards import Card
from workflows.kernel.widgets import reason_form
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.kernel.lookups import confirmations, next_seq, tasks_of
from workflows.changes.machine import CHANGE
from workflows.requests.guard import open_request, require
from workflows.requests.service import parse_day
from workflows.tasks.deadlines import TASK_TIMERS, schedule_task_timers
from workflows.tasks.machine import TASK, TaskStatus
from workflows.kernel.signoff import all_signed, sign
from workflows.changes.cards import applied_card, change_card
from workflows.changes.scope import clash, move_scope
from workflows.grammar.vocabulary import names
from workflows.requests.cards import request_card
from workflows.tasks.cards import raci_card
from workflows.changes.machine import ChangeState

@dataclass(frozen=True)
class ChangeDraft:
    """R17: why, what it affects, and the new plan — the grammar read `任务截止: 1=8/20` already."""

    reason: str
    impact: str = ""
    due: str = ""
    tasks: dict[int, str] = field(default_factory=dict)  # task seq → new due date (as typed)
    scope: str = ""
    scope_add: list[str] = field(default_factory=list)  # R34: items the collaboration now covers
    scope_drop: list[str] = field(default_factory=list)  # … and items moved out of it

    @classmethod
    def of(cls, fields: Mapping[str, Any], *, text: str = "") -> "ChangeDraft":
        get = lambda k: str(fields.get(k) or "").strip()  # noqa: E731
        return cls(reason=get("reason") or text.strip(), impact=get("impact"), due=get("due"),
                   tasks={int(k): str(v) for k, v in (fields.get("tasks") or {}).items()}, scope=get("scope"),
                   scope_add=names(fields.get("in_scope")), scope_drop=names(fields.get("out_scope")))


async def propose(ctx: Ctx, *, number: str | None, draft: ChangeDraft) -> Reply:
    request = await open_request(ctx, number=number, doing="change", lock=True)
    if ctx.actor is None or ctx.actor.id not in authz.may_propose_change(ctx, request):
        raise Refused("refused.propose_change", dept=ctx.dept_name(request.initiating_department_id))
    pending = await ctx.uow.first(select(PlanChange).where(PlanChange.request_id == request.id,
                                                            PlanChange.state == ChangeState.PROPOSED))
    if pending is not None:  # one open change at a time: heads sign one plan, not a race of them
        raise UserError("error.change_open", number=request.number, seq=pending.seq)
    tasks = await tasks_of(ctx, request.id)
    involved = authz.involved_departments(request, tasks)
    reason = draft.reason
    if not reason:
        raise UserError("error.change_reason", field="reason", usage="change")
    proposal: dict[str, Any] = {}
    if draft.due:
        proposal["due"] = parse_day(ctx, draft.due, field="due").isoformat()
    by_seq = {str(t.seq): t for t in tasks}
    for seq, day in draft.tasks.items():
        if str(seq) not in by_seq:
            raise UserError("error.unknown_task", number=request.number, seq=seq)
        proposal.setdefault("tasks", {})[str(seq)] = parse_day(ctx, day, field="tasks").isoformat()
    if draft.scope:
        proposal["scope"] = draft.scope
    moves_scope = bool(draft.scope_add or draft.scope_drop)
    if moves_scope:  # R34: said explicitly — what joins the scope and what leaves it
        if both := clash(draft.scope_add, draft.scope_drop):
            raise UserError("error.scope_both", field="out_scope", item=both)
        proposal.update({"scope_add": draft.scope_add, "scope_drop": draft.scope_drop})
        proposal["scope_in"], proposal["scope_out"] = move_scope(
            request.scope_in, request.scope_out, add=draft.scope_add, drop=draft.scope_drop, sep=ctx.t("list.sep"))
    if not proposal:
        raise UserError("error.change_empty", usage="change")
    old = {"due": request.due_date.isoformat() if request.due_date else None,
           "tasks": {seq: by_seq[seq].due_date.isoformat() for seq in proposal.get("tasks", {})
                     if by_seq[seq].due_date},
           "scope": request.standard if "scope" in proposal else None}
    change = PlanChange(request_id=request.id, seq=await next_seq(ctx, PlanChange, request.id), reason=reason,
                        impact=draft.impact, proposal=proposal,
                        old_plan={k: v for k, v in old.items() if v} | (  # the scope as it was, even empty
                            {"scope_in": request.scope_in, "scope_out": request.scope_out} if moves_scope else {}),
                        proposed_by=ctx.actor.id,
                        proposed_at=ctx.now)
    ctx.uow.add(change)
    await ctx.uow.flush()
    audit.record(ctx, action="change.propose", subject=keys.change_card(change.id), request_id=request.id,
                 after=change.state, detail={"proposal": proposal, "reason": reason})
    outbox.post(ctx, conversation=request.conversation, card_key=keys.change_card(change.id),
                card=change_card(ctx, request, change, involved, []))
    return Reply(text=ctx.t("reply.change_proposed", number=request.number, seq=change.seq))


async def decide(ctx: Ctx, *, change_id: int, dept_id: int | None, approve: bool,
                 reason: str | None = None) -> Reply:
    """A head signs for their department; the last signature applies the change. Rejecting asks
    for the reason first (`None`: the button), records who and why, and tells the proposer."""
    change = await ctx.uow.lock(PlanChange, change_id)
    if change is None:
        raise UserError("error.unknown_change")
    request = await open_request(ctx, request_id=change.request_id, doing="view", lock=True)
    tasks = await tasks_of(ctx, request.id)
    involved = authz.involved_departments(request, tasks)
    allowed = authz.may_confirm_for(ctx, dept_id) if dept_id is not None else authz.heads(ctx, involved)
    if ctx.actor is None or ctx.actor.id not in allowed:
        raise Refused("refused.confirm", dept=ctx.dept_name(dept_id) if dept_id else ctx.t("refused.any_head"))
    done = await confirmations(ctx, request.id, "change", change.id)
    if not CHANGE.can(change.state, "apply"):
        return Reply(ok=False, text=ctx.t("reply.change_decided", seq=change.seq,
                                          state=ctx.t(f"change_state.{change.state}")))
    if approve:
        done, already = await sign(ctx, request=request, kind="change", subject_id=change.id, dept_id=dept_id,
                                   required=involved, guard=lambda: require(ctx, request, "change"),
                                   action="change.approve",
                                   subject=keys.change_card(change.id))
        if already:
            return already
        if all_signed(done, involved):
            await _apply(ctx, request, change, tasks)
    else:
        require(ctx, request, "change")
        if reason is None:
            return Reply(form=reason_form(ctx, form_id="change.reject", value={"c": change.id},
                                          title=ctx.t("form.reject_change.title", number=request.number,
                                                      seq=change.seq)))
        if not reason.strip():
            raise UserError("error.reason_required", field="reason")
        change.state, change.decided_at = CHANGE.next(change.state, "reject"), ctx.now
        change.decided_by, change.decision_note = ctx.actor.id, reason.strip()
        audit.record(ctx, action="change.reject", subject=keys.change_card(change.id), request_id=request.id,
                     before=ChangeState.PROPOSED, after=change.state, detail={"reason": reason.strip()})
        outbox.direct(ctx, person_id=change.proposed_by, card=Card(
            title=ctx.t("change_rejected.title", number=request.number, seq=change.seq), tone="warning",
            text=ctx.t("change_rejected.text", who=ctx.actor.name, reason=reason.strip())))
    outbox.show(ctx, conversation=request.conversation, card_key=keys.change_card(change.id),
                card=change_card(ctx, request, change, involved, done))
    return Reply(text=ctx.t("reply.change_" + ("applied" if change.state == ChangeState.APPROVED else
                                               "approved_by" if approve else "rejected"),
                            seq=change.seq, dept=ctx.dept_name(dept_id)))


async def _apply(ctx: Ctx, request, change: PlanChange, tasks) -> None:
    """Every head confirmed: the new dates take effect and their timers move with them."""
    change.state, change.decided_at = CHANGE.next(change.state, "apply"), ctx.now
    change.decided_by = ctx.actor.id if ctx.actor else None
    p = change.proposal
    if p.get("due"):
        request.due_date = date.fromisoformat(p["due"])
    if p.get("scope"):
        request.standard = p["scope"]
    if "scope_in" in p:  # R34: the scope the heads signed (one open change at a time: still current)
        request.scope_in, request.scope_out = p["scope_in"], p.get("scope_out", "")
    for task in tasks:
        new_due = (p.get("tasks") or {}).get(str(task.seq))
        if new_due:
            task.due_date = date.fromisoformat(new_due)
            if task.status == TaskStatus.DELAYED and task.due_date >= ctx.today:
                task.status = TASK.next(task.status, "replan")
            await timers.cancel(ctx.uow, subject=keys.task_subject(task.id), kinds=TASK_TIMERS)
            schedule_task_timers(ctx, request, task)
    request.updated_at = ctx.now
    audit.record(ctx, action="change.apply", subject=keys.change_card(change.id), request_id=request.id,
                 before=str(change.old_plan), after=str(p))
    # everyone hears that it took effect, scope moves said in words (R34); the cards tell the truth
    outbox.post(ctx, conversation=request.conversation, card=applied_card(ctx, request, change))
    outbox.show(ctx, conversation=request.conversation, card_key=keys.request_card(request.id),
                card=request_card(ctx, request))
    outbox.show(ctx, conversation=request.conversation, card_key=keys.raci_card(request.id),
                card=raci_card(ctx, request, tasks, await confirmations(ctx, request.id, "raci")))
