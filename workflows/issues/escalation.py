"""R14 the 2-hour rule, fired by timers: the head after 2 h, the VP 2 h later, one reminder
for a solution; R12's resolution deadline. Every handler re-reads the issue under a lock — an
acknowledgement that committed first wins — and every card showing the issue, the escalation
pings included, follows its state."""
from __future__ import annotations

import logging
from datetime import datetime

from storage.tables import CollaborationRequest, Issue, Timer
from workflows.issues.cards import escalation_card, issue_card, issue_notice
from workflows.issues.machine import ISSUE, EscalationStep, IssueState
from workflows.kernel import audit, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.requests.guard import timer_request

log = logging.getLogger("collab.timers")

TO_HEAD, TO_VP = "issue.escalate_head", "issue.escalate_vp"
STEPS = [TO_HEAD, TO_VP]
SOLUTION_REMIND, OVERDUE = "issue.solution_remind", "issue.overdue"


def hours_later(ctx: Ctx, start: datetime, hours: float) -> datetime:
    """R14/R16 hours are wall-clock by default, working hours if the workspace says so."""
    return ctx.calendar.add_hours(start, hours, working_hours=not ctx.policy.wall_clock_hours)


def pinged(ctx: Ctx, issue: Issue, step: EscalationStep) -> int | None:
    dept = ctx.dept(issue.responsible_department_id)
    if dept is None:
        return None
    return dept.head_id if step == EscalationStep.HEAD else dept.vp_id


def show_everywhere(ctx: Ctx, request: CollaborationRequest, issue: Issue) -> None:
    """The group card and every escalation ping already sent show the issue's new state (a
    clicked ping is answered inline)."""
    outbox.show(ctx, conversation=request.conversation, card_key=keys.issue_card(issue.id),
                card=issue_card(ctx, request, issue))
    for step in EscalationStep:
        if step == EscalationStep.NONE or step > issue.escalation_level:
            continue
        to = pinged(ctx, issue, step)
        user = ctx.platform_user(to)
        if user:
            outbox.show(ctx, conversation=user, card_key=keys.escalation_ping(issue.id, step.word),
                        card=escalation_card(ctx, request, issue, step=step, to=to))


async def _issue(ctx: Ctx, timer: Timer, *, states: frozenset[IssueState]):
    issue = await ctx.uow.lock(Issue, int(timer.payload["issue"]))
    if issue is None or issue.state not in states:
        log.info("timer %s (%s): issue moved on — nothing to do", timer.id, timer.kind)
        return None, None
    request = await timer_request(ctx, timer, doing="issue", request_id=issue.request_id)
    return (request, issue) if request is not None else (None, None)


async def _escalate(ctx: Ctx, timer: Timer, *, step: EscalationStep) -> None:
    request, issue = await _issue(ctx, timer, states=frozenset({IssueState.OPEN}))
    if issue is None or issue.escalation_level >= step:
        return
    issue.state = ISSUE.next(issue.state, "escalate")
    to = pinged(ctx, issue, step)
    issue.escalation_level = int(step)
    audit.record(ctx, action=f"issue.escalate.{step.word}", subject=keys.issue_card(issue.id),
                 request_id=request.id, actor_id=None, detail={"to": ctx.person_name(to)})
    card = escalation_card(ctx, request, issue, step=step, to=to)
    outbox.direct(ctx, person_id=to, card=card, escalation=step.word,
                  card_key=keys.escalation_ping(issue.id, step.word))
    outbox.post(ctx, conversation=request.conversation, card=card)
    outbox.show(ctx, conversation=request.conversation, card_key=keys.issue_card(issue.id),
                card=issue_card(ctx, request, issue))
    if step == EscalationStep.HEAD:
        # counted from when the head step was due, so downtime cannot stretch the chain
        timers.set_timer(ctx, kind=TO_VP, subject=keys.issue_card(issue.id), request_id=request.id,
                         due_at=hours_later(ctx, timer.due_at, ctx.policy.urgent_vp_hours),
                         issue=issue.id, allow_past=True)


async def escalate_to_head(ctx: Ctx, timer: Timer) -> None:
    await _escalate(ctx, timer, step=EscalationStep.HEAD)


async def escalate_to_vp(ctx: Ctx, timer: Timer) -> None:
    await _escalate(ctx, timer, step=EscalationStep.VP)


async def remind_solution(ctx: Ctx, timer: Timer) -> None:
    """R14: acknowledged but no solution within 15 minutes → one reminder."""
    request, issue = await _issue(ctx, timer, states=frozenset({IssueState.ACKNOWLEDGED}))
    if issue is None or issue.solution:
        return
    who = [p for p in (issue.acknowledged_by, issue.owner_id) if p]
    outbox.announce(ctx, conversation=request.conversation, people=who, card=issue_notice(
        ctx, request, issue, key="solution_remind", notify=who, minutes=ctx.policy.solution_minutes))
    audit.record(ctx, action="issue.solution_remind", subject=keys.issue_card(issue.id), request_id=request.id,
                 actor_id=None)


async def issue_overdue(ctx: Ctx, timer: Timer) -> None:
    """R12: the resolution deadline (解决时限) passed unresolved — owner and head are told."""
    request, issue = await _issue(ctx, timer, states=frozenset({IssueState.OPEN, IssueState.ACKNOWLEDGED}))
    if issue is None:
        return
    dept = ctx.dept(issue.responsible_department_id)
    notify = [p for p in (issue.owner_id, dept.head_id if dept else None) if p]
    outbox.post(ctx, conversation=request.conversation, card=issue_notice(
        ctx, request, issue, key="issue_overdue", notify=notify, deadline=ctx.local_text(issue.deadline)))
    audit.record(ctx, action="issue.overdue", subject=keys.issue_card(issue.id), request_id=request.id,
                 actor_id=None)


TIMERS = {TO_HEAD: escalate_to_head, TO_VP: escalate_to_vp, SOLUTION_REMIND: remind_solution,
          OVERDUE: issue_overdue}
