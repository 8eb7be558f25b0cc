"""The rhythm jobs, run by the scheduler's cron ticks on working days: R7 (16:30 reminder,
17:00 who posted / who missed) and R8 (Friday weekly report). When they run: `kernel.ticks`."""
from __future__ import annotations

import logging
from datetime import date, timedelta
from sqlmodel import col, select

from storage.tables import CollaborationRequest, Issue, ProgressPost, Task, WeeklyReport
from workflows.kernel import audit, outbox
from workflows.cards import Card, CardField
from workflows.kernel.context import Ctx
from workflows.kernel.ticks import DAILY_REMIND, DAILY_SUMMARY, WEEKLY_REPORT
from workflows.requests.machine import EXECUTING as EXEC, RUNNING
from workflows.kernel.lookups import requests_in, tasks_of
from workflows.kernel.widgets import mention, mentions
from workflows.progress.cards import summary_card, weekly_card
from workflows.progress.daily_board import post_boards
from workflows.tasks.items import summary_lines as item_lines
from workflows.tasks.machine import TaskStatus
from workflows.issues.machine import UNRESOLVED
from workflows.risks.service import open_lines as open_risks

EXECUTING = sorted(EXEC)
log = logging.getLogger("collab.rhythms")


async def _posts(ctx: Ctx, tasks: list[Task], start: date, end: date) -> list[ProgressPost]:
    if not tasks:
        return []
    return await ctx.uow.all(select(ProgressPost).where(
        col(ProgressPost.task_id).in_([t.id for t in tasks]),
        ProgressPost.work_date >= start, ProgressPost.work_date <= end).order_by(col(ProgressPost.work_date)))


async def _open_tasks(ctx: Ctx, request: CollaborationRequest) -> list[Task]:
    return [t for t in await tasks_of(ctx, request.id) if t.status != TaskStatus.DONE]


async def daily_remind(ctx: Ctx, day: date) -> None:
    """R7 16:30: each owner who has not posted gets ONE private reminder listing all their
    tasks. Run late (a catch-up after 17:00) it sends nothing: the summary has been posted."""
    if ctx.now >= ctx.calendar.at_local(day, ctx.policy.daily_due_at):  # noqa: SIM102
        log.info("daily reminder for %s skipped: the %s summary time has passed", day,
                 ctx.policy.daily_due_at.strftime("%H:%M"))
        return
    owed: dict[int, list[str]] = {}
    for request in await requests_in(ctx, EXECUTING):
        tasks = await _open_tasks(ctx, request)
        posted = {p.task_id for p in await _posts(ctx, tasks, day, day)}
        for task in tasks:
            if task.id not in posted:
                owed.setdefault(task.owner_id, []).append(ctx.t(
                    "daily_remind.line", number=request.number, seq=task.seq, task=task.title))
    summary_at = ctx.calendar.at_local(day, ctx.policy.daily_due_at)
    for owner, lines in owed.items():  # held up by an outage past 17:00, it expires unsent
        outbox.direct(ctx, person_id=owner, expires_at=summary_at, card=Card(
            title=ctx.t("daily_remind.title", count=len(lines)), tone="warning",
            text=ctx.t("daily_remind.text", due=ctx.policy.daily_due_at.strftime("%H:%M"), tasks="\n".join(lines)),
            mentions=mention(ctx, owner)))


async def daily_summary(ctx: Ctx, day: date) -> None:
    """R7 17:00: in the group, who posted and who missed."""
    for request in await requests_in(ctx, EXECUTING):
        tasks = await _open_tasks(ctx, request)
        if not tasks:
            continue
        posted = {p.task_id for p in await _posts(ctx, tasks, day, day)}
        label = lambda t: f"{ctx.person_name(t.owner_id)}（{t.seq}. {t.title}）"  # noqa: E731
        card = summary_card(ctx, request, day=day, posted=[label(t) for t in tasks if t.id in posted],
                            missed=[label(t) for t in tasks if t.id not in posted])
        card.mentions = mentions(ctx, [t.owner_id for t in tasks if t.id not in posted])
        if items := await item_lines(ctx, request, day):  # R31 action items roll up here
            card.fields.append(CardField(ctx.t("summary.items"), "\n".join(items), short=False))
        outbox.post(ctx, conversation=request.conversation, card=card)
    await post_boards(ctx, day)  # then each initiator's board, when it changed (issue 11)


async def weekly_report(ctx: Ctx, day: date) -> None:
    """R8: the week's report compiled from the daily posts — done / next week / risks."""
    week_start = day - timedelta(days=day.weekday())
    for request in await requests_in(ctx, sorted(RUNNING)):
        tasks = await tasks_of(ctx, request.id)
        posts = await _posts(ctx, tasks, week_start, day)
        by_task = {t.id: t for t in tasks}
        latest: dict[int, ProgressPost] = {p.task_id: p for p in posts}
        issues = await ctx.uow.all(select(Issue).where(Issue.request_id == request.id, col(Issue.state).in_(sorted(UNRESOLVED))))
        report = WeeklyReport(
            request_id=request.id, week_start=week_start, created_at=ctx.now,
            done=[f"{by_task[p.task_id].title}（{p.work_date.isoformat()}）: {p.today}" for p in posts],
            next_week=[f"{by_task[tid].title}: {p.tomorrow}" for tid, p in latest.items() if p.tomorrow],
            risks=[f"{by_task[p.task_id].title}: {p.risk_note}" for p in posts if p.risk_note]
            + [ctx.t("weekly.task_risk", task=t.title, status=ctx.t(f"status.{t.status}"), risk=ctx.t(f"risk.{t.risk}"))
               for t in tasks if t.status == TaskStatus.DELAYED or t.risk == "high"]
            + [f"#{i.seq} {i.description[:60]}" for i in issues if i.severity == "high"]
            + await open_risks(ctx, request.id))  # R32: the register's open risks
        ctx.uow.add(report)
        outbox.post(ctx, conversation=request.conversation, card=weekly_card(ctx, request, report))
        audit.record(ctx, action="weekly.report", subject=f"request:{request.id}", request_id=request.id,
                     actor_id=None, detail={"week": week_start.isoformat()})


JOBS = {DAILY_REMIND: daily_remind, DAILY_SUMMARY: daily_summary, WEEKLY_REPORT: weekly_report}
