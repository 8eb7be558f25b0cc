"""Raising, acknowledging and resolving issues (R12, R14) — the escalation timers are born here
and die the moment someone of the responsible department acknowledges."""
from __future__ import annotations

from datetime import datetime, timedelta

from storage.tables import Issue
from workflows.kernel import audit, authz, outbox, timers
from workflows.grammar.commands import Command
from workflows.kernel.context import Ctx
from workflows.grammar.dates import DateParseError, parse_datetime
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.kernel.lookups import dept_ids, issue_by_seq, next_seq, person_id, request_by_id, request_by_number
from workflows.tasks.service import names
from workflows.requests.machine import FINAL
from workflows.issues.cards import issue_card, issue_key, issue_notice, issue_ref

SEVERITY = {"high": "high", "medium": "medium", "low": "low", "高": "high", "中": "medium", "低": "low",
            "严重": "high", "一般": "medium", "轻微": "low"}
YES = {"yes", "true", "y", "是", "紧急", "urgent", "1"}
ESCALATION_KINDS = ["issue.escalate_head", "issue.escalate_vp"]


def _deadline(ctx: Ctx, text: str) -> datetime:
    try:
        local = parse_datetime(text, now_local=ctx.calendar.local(ctx.now).replace(tzinfo=None))
    except DateParseError:
        raise UserError("error.bad_date", field="deadline", text=text) from None
    return ctx.calendar.at_local(local.date(), local.time())


def hours_later(ctx: Ctx, start: datetime, hours: float) -> datetime:
    """R14/R16 hours are wall-clock by default, working hours if the workspace says so."""
    return ctx.calendar.add_hours(start, hours, working_hours=not ctx.policy.wall_clock_hours)


async def raise_issue(ctx: Ctx, *, command: Command) -> Reply:
    """R12: anyone raises; it gets a responsible department, an owner and a deadline."""
    request = await request_by_number(ctx, command.ref, lock=True)
    if request.state in FINAL:
        raise UserError("error.state", number=request.number, state=ctx.t(f"state.{request.state}"))
    f = command.fields
    description = str(f.get("desc") or command.text or "").strip()
    if not description:
        raise UserError("error.issue_desc", usage="issue")
    severity = SEVERITY.get(str(f.get("severity") or "medium").strip().lower())
    if severity is None:
        raise UserError("error.bad_severity", field="severity", text=f.get("severity"))
    urgent = "urgent" in command.words or str(f.get("urgent") or "").strip().lower() in YES
    involved = dept_ids(ctx, names(f.get("depts")), field="depts")
    responsible = dept_ids(ctx, names(f.get("dept")), field="dept") or involved or request.collaborating
    dept = ctx.dept(responsible[0])
    owner = person_id(ctx, str(f["owner"]), field="owner") if f.get("owner") else (
        dept.liaison_id or dept.head_id if dept else None)
    deadline = _deadline(ctx, str(f["deadline"])) if f.get("deadline") else (
        ctx.now + timedelta(hours=ctx.policy.issue_deadline_hours))
    issue = Issue(request_id=request.id, seq=await next_seq(ctx, Issue, request.id),
                  description=description[:500], departments=involved, severity="high" if urgent else severity,
                  urgent=urgent, scope=str(f.get("scope") or ""), suggestion=str(f.get("suggestion") or ""),
                  responsible_department_id=responsible[0], owner_id=owner, deadline=deadline,
                  raised_by=ctx.actor.id, raised_at=ctx.now)  # type: ignore[union-attr]
    ctx.uow.add(issue)
    await ctx.uow.flush()
    audit.record(ctx, action="issue.raise", subject=issue_key(issue), request_id=request.id,
                 after="open", detail={"urgent": urgent, "severity": issue.severity})
    outbox.post(ctx, conversation=request.conversation, card_key=issue_key(issue),
                card=issue_card(ctx, request, issue))
    if urgent:
        timers.set_timer(ctx, kind="issue.escalate_head", subject=issue_key(issue), request_id=request.id,
                         due_at=hours_later(ctx, ctx.now, ctx.policy.urgent_ack_hours), issue=issue.id)
        outbox.direct(ctx, person_id=owner, card=issue_card(ctx, request, issue))
    timers.set_timer(ctx, kind="issue.overdue", subject=issue_key(issue), request_id=request.id,
                     due_at=deadline, issue=issue.id)
    return Reply(text=ctx.t("reply.issue_raised", ref=issue_ref(request, issue),
                            dept=ctx.dept_name(issue.responsible_department_id)))


async def acknowledge(ctx: Ctx, *, issue_id: int | None = None, command: Command | None = None) -> Reply:
    """R14: the responsible department responds; escalation stops at once, the 15-minute
    solution clock starts."""
    request, issue = await _load(ctx, issue_id=issue_id, command=command)
    if ctx.actor is None or ctx.actor.id not in authz.may_acknowledge(ctx, issue):
        raise Refused("refused.ack", dept=ctx.dept_name(issue.responsible_department_id))
    if issue.state != "open":
        return Reply(ok=False, text=ctx.t("reply.already_acknowledged", ref=issue_ref(request, issue),
                                          who=ctx.person_name(issue.acknowledged_by),
                                          when=ctx.local_text(issue.acknowledged_at)))
    issue.state, issue.acknowledged_by, issue.acknowledged_at = "acknowledged", ctx.actor.id, ctx.now
    await timers.cancel(ctx.uow, subject=issue_key(issue), kinds=ESCALATION_KINDS)
    timers.set_timer(ctx, kind="issue.solution_remind", subject=issue_key(issue), request_id=request.id,
                     due_at=ctx.now + timedelta(minutes=ctx.policy.solution_minutes), issue=issue.id)
    audit.record(ctx, action="issue.ack", subject=issue_key(issue), request_id=request.id,
                 before="open", after="acknowledged", detail={"level": issue.escalation_level})
    if command and command.text:
        issue.solution = command.text
    _show(ctx, request, issue)
    return Reply(text=ctx.t("reply.acknowledged", ref=issue_ref(request, issue),
                            minutes=ctx.policy.solution_minutes))


async def resolve(ctx: Ctx, *, command: Command) -> Reply:
    """R14: the solution (解决方案) closes the issue and its remaining timers."""
    request, issue = await _load(ctx, command=command)
    if ctx.actor is None or ctx.actor.id not in authz.may_acknowledge(ctx, issue):
        raise Refused("refused.ack", dept=ctx.dept_name(issue.responsible_department_id))
    solution = str(command.fields.get("solution") or command.text or "").strip()
    if not solution:
        raise UserError("error.solution_missing", usage="resolve")
    if issue.state == "resolved":
        return Reply(ok=False, text=ctx.t("reply.already_resolved", ref=issue_ref(request, issue)))
    before = issue.state
    if before == "open":
        issue.acknowledged_by, issue.acknowledged_at = ctx.actor.id, ctx.now
    issue.state, issue.solution, issue.resolved_at = "resolved", solution, ctx.now
    await timers.cancel(ctx.uow, subject=issue_key(issue))
    audit.record(ctx, action="issue.resolve", subject=issue_key(issue), request_id=request.id,
                 before=before, after="resolved")
    _show(ctx, request, issue)
    return Reply(text=ctx.t("reply.resolved", ref=issue_ref(request, issue)))


def _show(ctx: Ctx, request, issue: Issue) -> None:
    card = issue_card(ctx, request, issue)
    outbox.show(ctx, conversation=request.conversation, card_key=issue_key(issue), card=card)
    if ctx.clicked_key == f"issuedm:{issue.id}":
        ctx.reply_card = card


async def _load(ctx: Ctx, *, issue_id: int | None = None, command: Command | None = None):
    if issue_id is not None:
        issue = await ctx.uow.lock(Issue, int(issue_id))
        if issue is None:
            raise UserError("error.unknown_issue", number="", seq=issue_id)
        request = await request_by_id(ctx, issue.request_id)
        return request, issue
    assert command is not None
    request = await request_by_number(ctx, command.ref)
    issue = await issue_by_seq(ctx, request, command.sub)
    return request, await ctx.uow.lock(Issue, issue.id)


def notice(ctx: Ctx, request, issue: Issue, *, key: str, notify: list[int], **params: object) -> None:
    outbox.post(ctx, conversation=request.conversation,
                card=issue_notice(ctx, request, issue, key=key, notify=notify, **params))
