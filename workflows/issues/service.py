"""Raising, acknowledging and resolving issues (R12, R14) — the escalation timers are born here
and die the moment someone of the responsible department acknowledges."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Mapping

from storage.tables import CollaborationRequest, Issue
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.grammar.vocabulary import level, names, yes
from workflows.issues import escalation
from workflows.issues.cards import issue_card, issue_ref
from workflows.issues.machine import ISSUE, IssueState
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import dept_ids, issue_by_seq, next_seq, person_id
from workflows.requests.guard import open_request
from workflows.requests.service import parse_moment


@dataclass(frozen=True)
class IssueDraft:
    """R12's 问题跟踪表 row as the grammar parsed it."""

    description: str
    severity: str = "medium"
    urgent: bool = False
    depts: list[str] = field(default_factory=list)
    responsible: list[str] = field(default_factory=list)
    owner: str = ""
    scope: str = ""
    suggestion: str = ""
    deadline: str = ""
    support: str = ""  # R36 所需支持

    @classmethod
    def of(cls, fields: Mapping[str, Any], *, text: str = "", urgent: bool = False) -> "IssueDraft":
        get = lambda k: str(fields.get(k) or "").strip()  # noqa: E731
        return cls(description=get("desc") or text.strip(), severity=level(fields.get("severity")) or "medium",
                   urgent=urgent or yes(fields.get("urgent")), depts=names(fields.get("depts")),
                   responsible=names(fields.get("dept")), owner=get("owner"), scope=get("scope"),
                   suggestion=get("suggestion"), deadline=get("deadline"), support=get("support_needed"))


async def raise_issue(ctx: Ctx, *, number: str | None, draft: IssueDraft) -> Reply:
    """R12: anyone raises; it gets a responsible department, an owner and a deadline."""
    request = await open_request(ctx, number=number, doing="issue", lock=True)
    if ctx.actor is None:
        raise UserError("error.no_department")
    issue = await file_issue(ctx, request=request, draft=draft, raised_by=ctx.actor.id)
    return Reply(text=ctx.t("reply.issue_raised", ref=issue_ref(request, issue),
                            dept=ctx.dept_name(issue.responsible_department_id)))


async def file_issue(ctx: Ctx, *, request: CollaborationRequest, draft: IssueDraft, raised_by: int) -> Issue:
    """The issue row, its card and its clocks. `raised_by` is whose issue it is — the person
    typing, or a risk's owner when the bot raises a met trigger (R32); the audit row names who
    acted (None for a timer), so the trail never credits someone with what the bot did."""
    if not draft.description:
        raise UserError("error.issue_desc", usage="issue")
    involved = dept_ids(ctx, draft.depts, field="depts")
    responsible = dept_ids(ctx, draft.responsible, field="dept") or (involved if len(involved) == 1 else [])
    if not responsible:  # R12: someone must own it — ask, never guess
        candidates = [ctx.dept_name(d) for d in involved or request.collaborating]
        raise UserError("error.issue_dept", field="dept", usage="issue", depts=ctx.join(candidates),
                        first=candidates[0] if candidates else "")
    dept = ctx.dept(responsible[0])
    owner = person_id(ctx, draft.owner, field="owner") if draft.owner else (
        dept.liaison_id or dept.head_id if dept else None)
    deadline = parse_moment(ctx, draft.deadline, field="deadline") if draft.deadline else (
        ctx.now + timedelta(hours=ctx.policy.issue_deadline_hours))
    issue = Issue(request_id=request.id, seq=await next_seq(ctx, Issue, request.id),
                  description=draft.description[:500], departments=involved,
                  severity="high" if draft.urgent else draft.severity, urgent=draft.urgent,
                  scope=draft.scope, suggestion=draft.suggestion, support=draft.support,
                  responsible_department_id=responsible[0],
                  owner_id=owner, deadline=deadline, raised_by=raised_by, raised_at=ctx.now)
    ctx.uow.add(issue)
    await ctx.uow.flush()
    key = keys.issue_card(issue.id)
    audit.record(ctx, action="issue.raise", subject=key, request_id=request.id,
                 after=IssueState.OPEN, detail={"urgent": issue.urgent, "severity": issue.severity})
    outbox.post(ctx, conversation=request.conversation, card_key=key, card=issue_card(ctx, request, issue))
    if issue.urgent:
        timers.set_timer(ctx, kind=escalation.TO_HEAD, subject=key, request_id=request.id,
                         due_at=escalation.hours_later(ctx, ctx.now, ctx.policy.urgent_ack_hours), issue=issue.id)
        outbox.direct(ctx, person_id=owner, card=issue_card(ctx, request, issue))
    timers.set_timer(ctx, kind=escalation.OVERDUE, subject=key, request_id=request.id, due_at=deadline,
                     issue=issue.id)
    return issue


async def _load(ctx: Ctx, *, issue_id: int | None, number: str | None, seq: int | None,
                ) -> tuple[CollaborationRequest, Issue]:
    if issue_id is not None:
        issue = await ctx.uow.lock(Issue, issue_id)
        if issue is None:
            raise UserError("error.unknown_issue", number="", seq=issue_id)
        return await open_request(ctx, request_id=issue.request_id, doing="issue"), issue
    request = await open_request(ctx, number=number, doing="issue")
    issue = await issue_by_seq(ctx, request, seq)
    return request, await ctx.uow.lock(Issue, issue.id)  # type: ignore[return-value]


def _may_act(ctx: Ctx, issue: Issue, key: str) -> None:
    if ctx.actor is None or ctx.actor.id not in authz.may_acknowledge(ctx, issue):
        raise Refused(key, dept=ctx.dept_name(issue.responsible_department_id))


async def acknowledge(ctx: Ctx, *, issue_id: int | None = None, number: str | None = None,
                      seq: int | None = None, note: str = "") -> Reply:
    """R14: the responsible department responds; escalation stops at once, the 15-minute
    solution clock starts."""
    request, issue = await _load(ctx, issue_id=issue_id, number=number, seq=seq)
    _may_act(ctx, issue, "refused.ack")
    if not ISSUE.can(issue.state, "acknowledge"):
        return Reply(ok=False, text=ctx.t("reply.already_acknowledged", ref=issue_ref(request, issue),
                                          who=ctx.person_name(issue.acknowledged_by),
                                          when=ctx.local_text(issue.acknowledged_at)))
    before = issue.state
    issue.state = ISSUE.next(before, "acknowledge")
    issue.acknowledged_by, issue.acknowledged_at = ctx.actor.id, ctx.now  # type: ignore[union-attr]
    key = keys.issue_card(issue.id)
    await timers.cancel(ctx.uow, subject=key, kinds=escalation.STEPS)
    timers.set_timer(ctx, kind=escalation.SOLUTION_REMIND, subject=key, request_id=request.id,
                     due_at=ctx.now + timedelta(minutes=ctx.policy.solution_minutes), issue=issue.id)
    audit.record(ctx, action="issue.ack", subject=key, request_id=request.id,
                 before=before, after=issue.state, detail={"level": issue.escalation_level})
    if note.strip():
        issue.solution = note.strip()
    escalation.show_everywhere(ctx, request, issue)
    return Reply(text=ctx.t("reply.acknowledged", ref=issue_ref(request, issue),
                            minutes=ctx.policy.solution_minutes))


async def resolve(ctx: Ctx, *, number: str | None, seq: int | None, solution: str) -> Reply:
    """R14: the solution (解决方案) closes the issue and its remaining timers."""
    request, issue = await _load(ctx, issue_id=None, number=number, seq=seq)
    _may_act(ctx, issue, "refused.resolve")
    if not solution.strip():
        raise UserError("error.solution_missing", usage="resolve")
    if not ISSUE.can(issue.state, "resolve"):
        return Reply(ok=False, text=ctx.t("reply.already_resolved", ref=issue_ref(request, issue)))
    before = issue.state
    if before == IssueState.OPEN:
        issue.acknowledged_by, issue.acknowledged_at = ctx.actor.id, ctx.now  # type: ignore[union-attr]
    issue.state, issue.solution, issue.resolved_at = ISSUE.next(before, "resolve"), solution.strip(), ctx.now
    await timers.cancel(ctx.uow, subject=keys.issue_card(issue.id))
    audit.record(ctx, action="issue.resolve", subject=keys.issue_card(issue.id), request_id=request.id,
                 before=before, after=issue.state)
    escalation.show_everywhere(ctx, request, issue)
    return Reply(text=ctx.t("reply.resolved", ref=issue_ref(request, issue)))
