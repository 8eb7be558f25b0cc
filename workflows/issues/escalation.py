"""R14 the 2-hour rule, fired by timers: head after 2 h, VP 2 h later, one solution reminder.
Every handler re-reads the issue under a lock — an acknowledgement that committed first wins."""
from __future__ import annotations

from storage.tables import Issue, Timer
from workflows.kernel import audit, outbox, timers
from workflows.kernel.context import Ctx
from workflows.issues.service import hours_later, notice
from workflows.kernel.lookups import request_by_id
from workflows.issues.cards import escalation_card, issue_card, issue_key, issue_notice


async def _open_issue(ctx: Ctx, timer: Timer, *, states: tuple[str, ...] = ("open",)):
    issue = await ctx.uow.lock(Issue, int(timer.payload["issue"]))
    if issue is None or issue.state not in states:
        return None, None
    return await request_by_id(ctx, issue.request_id), issue


async def _escalate(ctx: Ctx, timer: Timer, *, level: int) -> None:
    request, issue = await _open_issue(ctx, timer)
    if issue is None or issue.escalation_level >= level:
        return
    dept = ctx.dept(issue.responsible_department_id)
    to = (dept.head_id if level == 1 else dept.vp_id) if dept else None
    issue.escalation_level = level
    audit.record(ctx, action=f"issue.escalate.level{level}", subject=issue_key(issue), request_id=request.id,
                 actor_id=None, detail={"to": ctx.person_name(to)})
    card = escalation_card(ctx, request, issue, level=level, to=to)
    outbox.direct(ctx, person_id=to, card=card, urgent=True, level=level)
    outbox.post(ctx, conversation=request.conversation, card=card)
    outbox.show(ctx, conversation=request.conversation, card_key=issue_key(issue),
                card=issue_card(ctx, request, issue))
    if level == 1:
        # counted from when the head step was due, so downtime cannot stretch the chain
        timers.set_timer(ctx, kind="issue.escalate_vp", subject=issue_key(issue), request_id=request.id,
                         due_at=hours_later(ctx, timer.due_at, ctx.policy.urgent_vp_hours),
                         issue=issue.id, allow_past=True)


@timers.handles("issue.escalate_head")
async def escalate_to_head(ctx: Ctx, timer: Timer) -> None:
    await _escalate(ctx, timer, level=1)


@timers.handles("issue.escalate_vp")
async def escalate_to_vp(ctx: Ctx, timer: Timer) -> None:
    await _escalate(ctx, timer, level=2)


@timers.handles("issue.solution_remind")
async def remind_solution(ctx: Ctx, timer: Timer) -> None:
    """R14: acknowledged but no solution within 15 minutes → one reminder."""
    request, issue = await _open_issue(ctx, timer, states=("acknowledged",))
    if issue is None or issue.solution:
        return
    who = [p for p in (issue.acknowledged_by, issue.owner_id) if p]
    outbox.announce(ctx, conversation=request.conversation, people=who, card=issue_notice(
        ctx, request, issue, key="solution_remind", notify=who, minutes=ctx.policy.solution_minutes))
    audit.record(ctx, action="issue.solution_remind", subject=issue_key(issue), request_id=request.id,
                 actor_id=None)


@timers.handles("issue.overdue")
async def issue_overdue(ctx: Ctx, timer: Timer) -> None:
    """R12: the resolution deadline (解决时限) passed unresolved — owner and head are told."""
    request, issue = await _open_issue(ctx, timer, states=("open", "acknowledged"))
    if issue is None:
        return
    dept = ctx.dept(issue.responsible_department_id)
    notify = [p for p in (issue.owner_id, dept.head_id if dept else None) if p]
    notice(ctx, request, issue, key="issue_overdue", notify=notify, deadline=ctx.local_text(issue.deadline))
    audit.record(ctx, action="issue.overdue", subject=issue_key(issue), request_id=request.id, actor_id=None)

