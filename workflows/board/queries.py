"""The board's read model (R9, R37): the request list with status, risk, due date and overdue
days; one request's tasks and milestones for the Gantt chart, its issues with escalation stage
and age, changes, acceptance history and audit trail; a department's "what we owe". Every
function reads through a context (workspace, org, clock, language) and a viewer (R25)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import col, select

from storage.tables import (Acceptance, AuditEvent, CollaborationRequest, Delivery, Issue, PlanChange,
                            Task)
from workflows.kernel.authz import involved_departments
from workflows.board.scope import Viewer, may_see, may_see_department
from workflows.kernel.context import Ctx

CLOSED = {"accepted", "completed", "archived", "cancelled", "rejected"}
RISK_ORDER = {"low": 0, "medium": 1, "high": 2}


@dataclass
class RequestRow:
    number: str
    title: str
    state: str
    initiating: str
    departments: list[str]
    due: date | None
    overdue_days: int
    risk: str
    tasks_done: int
    tasks_total: int
    open_issues: int
    department_ids: list[int] = field(default_factory=list)


@dataclass
class GanttTask:
    seq: int
    title: str
    lead: str
    owner: str
    start: date
    due: date
    status: str
    risk: str
    overdue_days: int


@dataclass
class IssueRow:
    seq: int
    description: str
    responsible: str
    severity: str
    state: str
    stage: int  # 0 none, 1 the heads, 2 the VP (R14)
    age_hours: float
    raised_at: str


@dataclass
class RequestDetail:
    row: RequestRow
    goal: str
    start: date
    end: date
    today: date
    tasks: list[GanttTask]
    milestones: list[tuple[str, date]]
    issues: list[IssueRow]
    changes: list[dict[str, str]]
    acceptance: list[dict[str, str]]
    audit: list[dict[str, str]]


@dataclass
class Owed:
    kind: str  # task / issue
    number: str
    what: str
    to: str  # the department it is owed to
    due: str
    overdue_days: int
    status: str


def overdue(due: date | None, today: date, *, closed: bool) -> int:
    return max(0, (today - due).days) if due and not closed else 0


def _risk(tasks: list[Task], issues: list[Issue]) -> str:
    levels = [t.risk for t in tasks if t.status != "done"]
    levels += ["high" for t in tasks if t.status == "delayed"]
    levels += ["high" for i in issues if i.state != "resolved" and (i.urgent or i.severity == "high")]
    return max(levels, key=lambda r: RISK_ORDER.get(r, 0), default="low")


async def _tasks_by_request(ctx: Ctx, ids: list[int]) -> dict[int, list[Task]]:
    out: dict[int, list[Task]] = {i: [] for i in ids}
    if ids:
        for t in await ctx.uow.all(select(Task).where(col(Task.request_id).in_(ids)).order_by(col(Task.seq))):
            out[t.request_id].append(t)
    return out


async def _issues_by_request(ctx: Ctx, ids: list[int]) -> dict[int, list[Issue]]:
    out: dict[int, list[Issue]] = {i: [] for i in ids}
    if ids:
        for i in await ctx.uow.all(select(Issue).where(col(Issue.request_id).in_(ids)).order_by(col(Issue.seq))):
            out[i.request_id].append(i)
    return out


def _row(ctx: Ctx, r: CollaborationRequest, tasks: list[Task], issues: list[Issue]) -> RequestRow:
    depts = involved_departments(r, tasks)
    return RequestRow(
        number=r.number, title=r.title, state=r.state, initiating=ctx.dept_name(r.initiating_department_id),
        departments=[ctx.dept_name(d) for d in depts], due=r.due_date,
        overdue_days=overdue(r.due_date, ctx.today, closed=r.state in CLOSED), risk=_risk(tasks, issues),
        tasks_done=sum(t.status == "done" for t in tasks), tasks_total=len(tasks),
        open_issues=sum(i.state != "resolved" for i in issues), department_ids=depts)


def _matching(ctx: Ctx, requests: list[CollaborationRequest], tasks: dict[int, list[Task]],
              issues: dict[int, list[Issue]], *, viewer: Viewer, department: int | None, state: str) -> list[RequestRow]:
    """The rows the viewer may see (R25) that pass the department and state filters."""
    rows = []
    for r in requests:
        if not may_see(viewer, r, tasks[r.id]):  # type: ignore[index]
            continue
        row = _row(ctx, r, tasks[r.id], issues[r.id])  # type: ignore[index]
        if department is not None and department not in row.department_ids:
            continue
        if state == "open" and r.state in CLOSED or state not in ("", "open") and r.state != state:
            continue
        rows.append(row)
    return rows


def _newest_first(ctx: Ctx, state: str) -> Any:
    """The workspace's requests newest first, the state filter already in the query."""
    query = select(CollaborationRequest).where(CollaborationRequest.workspace_id == ctx.workspace.id)
    if state == "open":
        query = query.where(col(CollaborationRequest.state).not_in(sorted(CLOSED)))
    elif state:
        query = query.where(CollaborationRequest.state == state)
    return query.order_by(col(CollaborationRequest.id).desc())


async def request_rows(ctx: Ctx, *, viewer: Viewer, department: int | None = None,
                       state: str = "") -> list[RequestRow]:
    """The whole list (the exports), newest first, only what the viewer may see, filtered by
    department and state ("open" = every state not closed)."""
    requests = await ctx.uow.all(_newest_first(ctx, state))
    ids = [r.id for r in requests]
    tasks, issues = await _tasks_by_request(ctx, ids), await _issues_by_request(ctx, ids)  # type: ignore[arg-type]
    return _matching(ctx, requests, tasks, issues, viewer=viewer, department=department, state=state)


@dataclass
class RowsPage:
    rows: list[RequestRow]
    page: int  # 1-based
    has_next: bool


PAGE_SIZE = 50


async def request_rows_page(ctx: Ctx, *, viewer: Viewer, department: int | None = None, state: str = "",
                            page: int = 1, size: int = PAGE_SIZE, batch: int = 200) -> RowsPage:
    """One page of the list (issue 15: not 2,000 requests in one page). Who may see a request
    and its departments come from its tasks, so requests are read newest first a batch at a time,
    with their tasks and issues, until the page and one row more are found: a page costs the
    rows before it, never the whole workspace."""
    page = max(1, page)
    skip, rows, before = (page - 1) * size, [], None
    seen = 0
    while len(rows) <= size:
        query = _newest_first(ctx, state)
        if before is not None:
            query = query.where(col(CollaborationRequest.id) < before)
        requests = await ctx.uow.all(query.limit(batch))
        if not requests:
            break
        ids = [r.id for r in requests]
        tasks, issues = await _tasks_by_request(ctx, ids), await _issues_by_request(ctx, ids)  # type: ignore[arg-type]
        for row in _matching(ctx, requests, tasks, issues, viewer=viewer, department=department, state=state):
            if seen >= skip:
                rows.append(row)
            seen += 1
        before = requests[-1].id
    return RowsPage(rows=rows[:size], page=page, has_next=len(rows) > size)


async def request_detail(ctx: Ctx, *, viewer: Viewer, number: str) -> RequestDetail | None:
    """None when there is no such request or the viewer may not see it (the page says 403 /
    404 without telling which requests exist)."""
    r = await ctx.uow.first(select(CollaborationRequest).where(
        CollaborationRequest.workspace_id == ctx.workspace.id, CollaborationRequest.number == number.upper()))
    if r is None:
        return None
    tasks = (await _tasks_by_request(ctx, [r.id]))[r.id]
    if not may_see(viewer, r, tasks):
        return None
    issues = (await _issues_by_request(ctx, [r.id]))[r.id]
    today, created = ctx.today, ctx.calendar.local_date(r.created_at)
    gantt = [GanttTask(seq=t.seq, title=t.title, lead=ctx.dept_name(t.lead_department_id),
                       owner=ctx.person_name(t.owner_id), start=t.start_date or created,
                       due=t.due_date or r.due_date or today, status=t.status, risk=t.risk,
                       overdue_days=overdue(t.due_date, today, closed=t.status == "done"))
             for t in tasks]
    milestones = sorted((str(m.get("name", "")), date.fromisoformat(str(m["date"])))
                        for m in r.milestones if m.get("date"))
    days = [created, today, *(g.start for g in gantt), *(g.due for g in gantt), *(d for _, d in milestones)]
    if r.due_date:
        days.append(r.due_date)
    return RequestDetail(
        row=_row(ctx, r, tasks, issues), goal=r.goal, start=min(days), end=max(days), today=today,
        tasks=gantt, milestones=milestones, issues=[_issue(ctx, i) for i in issues],
        changes=await _changes(ctx, r), acceptance=await _acceptance(ctx, r), audit=await _audit(ctx, r))


def _issue(ctx: Ctx, i: Issue) -> IssueRow:
    until = i.resolved_at or ctx.now
    return IssueRow(seq=i.seq, description=i.description, responsible=ctx.dept_name(i.responsible_department_id),
                    severity=i.severity, state=i.state, stage=i.escalation_level,
                    age_hours=round((until - i.raised_at).total_seconds() / 3600, 1),
                    raised_at=ctx.local_text(i.raised_at))


async def _changes(ctx: Ctx, r: CollaborationRequest) -> list[dict[str, str]]:
    rows = await ctx.uow.all(select(PlanChange).where(PlanChange.request_id == r.id).order_by(col(PlanChange.seq)))
    return [{"seq": str(c.seq), "reason": c.reason, "impact": c.impact, "state": c.state,
             "due": str(c.proposal.get("due") or ""), "old_due": str(c.old_plan.get("due") or ""),
             "by": ctx.person_name(c.proposed_by), "at": ctx.local_text(c.proposed_at),
             "decided": ctx.local_text(c.decided_at) if c.decided_at else ""} for c in rows]


async def _acceptance(ctx: Ctx, r: CollaborationRequest) -> list[dict[str, str]]:
    deliveries = {d.id: d for d in await ctx.uow.all(select(Delivery).where(Delivery.request_id == r.id))}
    rows = await ctx.uow.all(select(Acceptance).where(Acceptance.request_id == r.id).order_by(col(Acceptance.id)))
    out = [{"round": str(d.round), "verdict": "", "notes": d.deliverables, "by": ctx.person_name(d.submitted_by),
            "at": ctx.local_text(d.submitted_at)} for d in sorted(deliveries.values(), key=lambda d: d.round)
           if not any(a.delivery_id == d.id for a in rows)]
    for a in rows:
        d = deliveries.get(a.delivery_id)
        out.append({"round": str(d.round if d else ""), "verdict": a.verdict, "notes": a.notes,
                    "by": ctx.person_name(a.decided_by), "at": ctx.local_text(a.decided_at)})
    return sorted(out, key=lambda x: (x["round"], x["at"]))


async def _audit(ctx: Ctx, r: CollaborationRequest, limit: int = 200) -> list[dict[str, str]]:
    rows = await ctx.uow.all(select(AuditEvent).where(AuditEvent.request_id == r.id)
                             .order_by(col(AuditEvent.id).desc()).limit(limit))
    return [{"at": ctx.local_text(a.at), "who": ctx.person_name(a.actor_id) if a.actor_id else "🤖",
             "action": a.action, "subject": a.subject,
             "change": f"{a.before} → {a.after}" if a.before or a.after else ""} for a in rows]


async def department_owes(ctx: Ctx, *, viewer: Viewer, department: int) -> list[Owed] | None:
    """What one department owes, to whom, by when: its open tasks and unresolved issues, most
    urgent first. None when the viewer may not see that department."""
    if ctx.dept(department) is None or not may_see_department(viewer, department):
        return None
    requests = {r.id: r for r in await ctx.uow.all(select(CollaborationRequest).where(
        CollaborationRequest.workspace_id == ctx.workspace.id,
        col(CollaborationRequest.state).not_in(sorted(CLOSED))))}
    ids = list(requests)
    out: list[tuple[date, Owed]] = []
    for t in await ctx.uow.all(select(Task).where(col(Task.request_id).in_(ids), Task.lead_department_id == department,
                                                  Task.status != "done")):
        r = requests[t.request_id]
        due = t.due_date or r.due_date
        out.append((due or date.max, Owed(kind="task", number=r.number, what=f"#{t.seq} {t.title}",
                                          to=ctx.dept_name(r.initiating_department_id),
                                          due=due.isoformat() if due else "—",
                                          overdue_days=overdue(due, ctx.today, closed=False), status=t.status)))
    for i in await ctx.uow.all(select(Issue).where(col(Issue.request_id).in_(ids),
                                                   Issue.responsible_department_id == department,
                                                   Issue.state != "resolved")):
        r = requests[i.request_id]
        due_day = ctx.calendar.local_date(i.deadline) if i.deadline else None
        out.append((due_day or date.max, Owed(kind="issue", number=r.number, what=f"!{i.seq} {i.description}",
                                              to=ctx.dept_name(i.raised_by and _dept_of(ctx, i.raised_by)),
                                              due=ctx.local_text(i.deadline) if i.deadline else "—",
                                              overdue_days=overdue(due_day, ctx.today, closed=False),
                                              status=i.state)))
    return [o for _, o in sorted(out, key=lambda x: x[0])]


def _dept_of(ctx: Ctx, person_id: int) -> int | None:
    person = ctx.person(person_id)
    return person.department_id if person else None
