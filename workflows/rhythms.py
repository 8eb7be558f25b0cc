"""The rhythm jobs, run by the scheduler's cron ticks on working days: R7 (16:30 reminder,
17:00 who posted / who missed), R13 (12:00 issue digest), R8 (Friday weekly report)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo
from typing import Awaitable, Callable

from sqlmodel import col, select

from storage.tables import CollaborationRequest, Issue, ProgressPost, Task, WeeklyReport
from workflows import audit, outbox
from workflows.cards import Card
from workflows.context import Ctx
from workflows.repo import tasks_of
from workflows.views.common import mention, mentions
from workflows.views.progress import summary_card, weekly_card

EXECUTING = ["in_progress", "rework"]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


async def _requests(ctx: Ctx, states: list[str]) -> list[CollaborationRequest]:
    return await ctx.uow.all(select(CollaborationRequest).where(
        CollaborationRequest.workspace_id == ctx.workspace.id,
        col(CollaborationRequest.state).in_(states)).order_by(col(CollaborationRequest.id)))


async def _posts(ctx: Ctx, tasks: list[Task], start: date, end: date) -> list[ProgressPost]:
    if not tasks:
        return []
    return await ctx.uow.all(select(ProgressPost).where(
        col(ProgressPost.task_id).in_([t.id for t in tasks]),
        ProgressPost.work_date >= start, ProgressPost.work_date <= end).order_by(col(ProgressPost.work_date)))


async def _open_tasks(ctx: Ctx, request: CollaborationRequest) -> list[Task]:
    return [t for t in await tasks_of(ctx, request.id) if t.status != "done"]


async def daily_remind(ctx: Ctx, day: date) -> None:
    """R7 16:30: owners who have not posted today are reminded privately — pointless once the
    day is over, so a reminder held up by an outage expires at local midnight, not sent late."""
    day_over = datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(ctx.workspace.timezone))
    for request in await _requests(ctx, EXECUTING):
        tasks = await _open_tasks(ctx, request)
        posted = {p.task_id for p in await _posts(ctx, tasks, day, day)}
        for task in tasks:
            if task.id not in posted:
                outbox.direct(ctx, person_id=task.owner_id, card=Card(
                    title=ctx.t("daily_remind.title", number=request.number), tone="warning",
                    text=ctx.t("daily_remind.text", number=request.number, seq=task.seq, task=task.title,
                               due=ctx.policy.daily_due_at.strftime("%H:%M")),
                    mentions=mention(ctx, task.owner_id)), expires_at=day_over)


async def daily_summary(ctx: Ctx, day: date) -> None:
    """R7 17:00: in the group, who posted and who missed."""
    for request in await _requests(ctx, EXECUTING):
        tasks = await _open_tasks(ctx, request)
        if not tasks:
            continue
        posted = {p.task_id for p in await _posts(ctx, tasks, day, day)}
        label = lambda t: f"{ctx.person_name(t.owner_id)}（{t.seq}. {t.title}）"  # noqa: E731
        card = summary_card(ctx, request, posted=[label(t) for t in tasks if t.id in posted],
                            missed=[label(t) for t in tasks if t.id not in posted])
        card.mentions = mentions(ctx, [t.owner_id for t in tasks if t.id not in posted])
        outbox.post(ctx, conversation=request.conversation, card=card)


async def issue_digest(ctx: Ctx, day: date) -> None:
    """R13 12:00: open issues by priority — severity, then age — with owner and deadline."""
    for request in await _requests(ctx, ["approved", "assigning", *EXECUTING, "delivered", "accepted"]):
        issues = await ctx.uow.all(select(Issue).where(Issue.request_id == request.id,
                                                       col(Issue.state) != "resolved"))
        if not issues:
            continue
        issues.sort(key=lambda i: (SEVERITY_ORDER[i.severity], i.raised_at))
        lines = [ctx.t("digest.line", ref=f"{request.number}#{i.seq}", severity=ctx.t(f"risk.{i.severity}"),
                       text=i.description[:60], owner=ctx.person_name(i.owner_id),
                       deadline=ctx.local_text(i.deadline), state=ctx.t(f"issue_state.{i.state}"))
                 for i in issues]
        outbox.post(ctx, conversation=request.conversation, card=Card(
            title=ctx.t("digest.title", number=request.number, day=day.isoformat(), count=len(issues)),
            tone="warning" if any(i.severity == "high" for i in issues) else "info", text="\n".join(lines)))


async def weekly_report(ctx: Ctx, day: date) -> None:
    """R8: the week's report compiled from the daily posts — done / next week / risks."""
    week_start = day - timedelta(days=day.weekday())
    for request in await _requests(ctx, [*EXECUTING, "delivered"]):
        tasks = await tasks_of(ctx, request.id)
        posts = await _posts(ctx, tasks, week_start, day)
        by_task = {t.id: t for t in tasks}
        latest: dict[int, ProgressPost] = {p.task_id: p for p in posts}
        issues = await ctx.uow.all(select(Issue).where(Issue.request_id == request.id, col(Issue.state) != "resolved"))
        report = WeeklyReport(
            request_id=request.id, week_start=week_start, created_at=ctx.now,
            done=[f"{by_task[p.task_id].title}（{p.work_date.isoformat()}）: {p.today}" for p in posts],
            next_week=[f"{by_task[tid].title}: {p.tomorrow}" for tid, p in latest.items() if p.tomorrow],
            risks=[f"{by_task[p.task_id].title}: {p.risk_note}" for p in posts if p.risk_note]
            + [ctx.t("weekly.task_risk", task=t.title, status=ctx.t(f"status.{t.status}"), risk=ctx.t(f"risk.{t.risk}"))
               for t in tasks if t.status == "delayed" or t.risk == "high"]
            + [f"#{i.seq} {i.description[:60]}" for i in issues if i.severity == "high"])
        ctx.uow.add(report)
        outbox.post(ctx, conversation=request.conversation, card=weekly_card(ctx, request, report))
        audit.record(ctx, action="weekly.report", subject=f"request:{request.id}", request_id=request.id,
                     actor_id=None, detail={"week": week_start.isoformat()})


JOBS: dict[str, Callable[[Ctx, date], Awaitable[None]]] = {
    "daily.remind": daily_remind, "daily.summary": daily_summary,
    "issue.digest": issue_digest, "weekly.report": weekly_report,
}
