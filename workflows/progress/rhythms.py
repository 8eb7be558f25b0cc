"""The rhythm jobs, run by the scheduler's cron ticks on working days: R7 (16:30 reminder,
17:00 who posted / who missed) and R8 (Friday weekly report). When they run: `kernel.ticks`.

Each job runs one chunk per call (issue 15): it reads a page of ~`limit` requests (or owners)
after `cursor` and everything the page needs in a few `IN` queries, writes its messages, and
returns the cursor to go on from — None when done. `bot/tick_sweep.py` commits each chunk with
that cursor on `job_run`, so other writers get in between chunks and a crash resumes after the
last committed chunk, sending nothing twice."""
from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlmodel import col, select

from storage.tables import ActionItem, CollaborationRequest, ProgressPost, Task, WeeklyReport
from workflows.cards import CardField, Card
from workflows.issues.machine import UNRESOLVED
from workflows.kernel import audit, outbox
from workflows.kernel.batches import (after_id, by_request, issues_of_requests, lean, posts_of_tasks,
                                      requests_page, tasks_of_requests)
from workflows.kernel.context import Ctx
from workflows.kernel.ticks import DAILY_REMIND, DAILY_SUMMARY, WEEKLY_REPORT
from workflows.kernel.widgets import mention, mentions
from workflows.progress.cards import summary_card, weekly_card
from workflows.progress.daily_board import post_boards
from workflows.requests.machine import EXECUTING as EXEC, RUNNING
from workflows.risks.service import listed_of_requests, register_lines
from workflows.tasks.items import summary_lines as item_lines
from workflows.tasks.machine import TaskStatus

EXECUTING = sorted(EXEC)
BOARDS = "b:"  # the 17:00 cursor's second phase: the initiators' boards, after every summary
log = logging.getLogger("collab.rhythms")


async def _owed(ctx: Ctx, *, after: int, limit: int) -> tuple[list[tuple[Task, str]], int | None]:
    """The owners of the next `limit` tasks after owner `after` (a walk of `ix_task_owner` that
    stops there), and all their open tasks of executing requests with the request's number, owner
    by owner, each owner's in request then `seq` order; and the last owner (None: no more)."""
    owners = list(dict.fromkeys(await ctx.uow.all(select(Task.owner_id).where(col(Task.owner_id) > after)
                                                  .order_by(col(Task.owner_id)).limit(limit))))
    if not owners:
        return [], None
    rows = await ctx.uow.all(select(Task, CollaborationRequest.number).options(*lean(Task)).join(
        CollaborationRequest, col(CollaborationRequest.id) == Task.request_id).where(
        col(Task.owner_id).in_(owners), CollaborationRequest.workspace_id == ctx.workspace.id,
        col(CollaborationRequest.state).in_(EXECUTING), Task.status != TaskStatus.DONE)
        .order_by(col(Task.owner_id), col(Task.request_id), col(Task.seq)))
    return rows, owners[-1]


async def daily_remind(ctx: Ctx, day: date, *, cursor: str = "", limit: int = 200) -> str | None:
    """R7 16:30: each owner who has not posted gets ONE private reminder listing all their
    tasks — a chunk holds whole owners. Run late (a catch-up after 17:00) it sends nothing: the
    summary has been posted."""
    summary_at = ctx.calendar.at_local(day, ctx.policy.daily_due_at)
    if ctx.now >= summary_at:
        log.info("daily reminder for %s skipped: the %s summary time has passed", day,
                 ctx.policy.daily_due_at.strftime("%H:%M"))
        return None
    rows, last = await _owed(ctx, after=after_id(cursor), limit=limit)  # a chunk holds whole owners
    posted = {p.task_id for p in await posts_of_tasks(ctx, [t.id for t, _ in rows], day, day)}  # type: ignore[misc]
    owed: dict[int, list[str]] = {}
    for task, number in rows:
        if task.id not in posted:
            owed.setdefault(task.owner_id, []).append(ctx.t(
                "daily_remind.line", number=number, seq=task.seq, task=task.title))
    for owner, lines in owed.items():  # held up by an outage past 17:00, it expires unsent
        outbox.direct(ctx, person_id=owner, expires_at=summary_at, card=Card(
            title=ctx.t("daily_remind.title", count=len(lines)), tone="warning",
            text=ctx.t("daily_remind.text", due=ctx.policy.daily_due_at.strftime("%H:%M"), tasks="\n".join(lines)),
            mentions=mention(ctx, owner)))
    return None if last is None else str(last)


async def _items(ctx: Ctx, ids: list[int]) -> dict[int, list[ActionItem]]:
    rows = await ctx.uow.all(select(ActionItem).where(col(ActionItem.request_id).in_(ids)).order_by(
        col(ActionItem.seq))) if ids else []
    return by_request(rows, ids)


async def daily_summary(ctx: Ctx, day: date, *, cursor: str = "", limit: int = 200) -> str | None:
    """R7 17:00: in the group, who posted and who missed; then (cursor `b:…`) each
    initiator's board (issue 11)."""
    if cursor.startswith(BOARDS):
        last = await post_boards(ctx, day, after=after_id(cursor.removeprefix(BOARDS)), limit=limit)
        return None if last is None else f"{BOARDS}{last}"
    page = await requests_page(ctx, EXECUTING, after=after_id(cursor.removeprefix("s:")), limit=limit)
    ids = [r.id for r in page]
    tasks = await tasks_of_requests(ctx, ids)  # type: ignore[arg-type]
    open_ = {rid: [t for t in ts if t.status != TaskStatus.DONE] for rid, ts in tasks.items()}
    posted = {p.task_id for p in await posts_of_tasks(
        ctx, [t.id for ts in open_.values() for t in ts], day, day)}  # type: ignore[misc]
    items = await _items(ctx, ids)  # type: ignore[arg-type]
    for request in page:
        mine = open_[request.id]  # type: ignore[index]
        if not mine:
            continue
        label = lambda t: f"{ctx.person_name(t.owner_id)}（{t.seq}. {t.title}）"  # noqa: E731
        card = summary_card(ctx, request, day=day, posted=[label(t) for t in mine if t.id in posted],
                            missed=[label(t) for t in mine if t.id not in posted])
        card.mentions = mentions(ctx, [t.owner_id for t in mine if t.id not in posted])
        if lines := item_lines(ctx, tasks=tasks[request.id], items=items[request.id], day=day):  # type: ignore[index]
            card.fields.append(CardField(ctx.t("summary.items"), "\n".join(lines), short=False))  # R31 items
        outbox.post(ctx, conversation=request.conversation, card=card)
    return f"s:{page[-1].id}" if len(page) == limit else BOARDS


async def weekly_report(ctx: Ctx, day: date, *, cursor: str = "", limit: int = 200) -> str | None:
    """R8: the week's report compiled from the daily posts — done / next week / risks."""
    week_start = day - timedelta(days=day.weekday())
    page = await requests_page(ctx, RUNNING, after=after_id(cursor), limit=limit)
    ids = [r.id for r in page]
    tasks = await tasks_of_requests(ctx, ids)  # type: ignore[arg-type]
    task_ids = {t.id: rid for rid, ts in tasks.items() for t in ts}
    posts: dict[int, list[ProgressPost]] = {rid: [] for rid in ids}  # type: ignore[misc]
    for p in await posts_of_tasks(ctx, list(task_ids), week_start, day):  # type: ignore[arg-type]
        posts[task_ids[p.task_id]].append(p)
    issues = await issues_of_requests(ctx, ids, UNRESOLVED)  # type: ignore[arg-type]
    registered = await listed_of_requests(ctx, ids)  # type: ignore[arg-type]
    for request in page:
        report = _report(ctx, tasks[request.id], posts[request.id], issues[request.id])  # type: ignore[index]
        report["risks"] += register_lines(ctx, registered[request.id])  # type: ignore[index] # R32: the register's
        # appended, not built as an ORM object: at 200 reports a chunk, building them cost more
        # than the statements (the report is kept for the archive, never changed)
        ctx.uow.append(WeeklyReport, request_id=request.id, week_start=week_start, created_at=ctx.now, **report)
        outbox.post(ctx, conversation=request.conversation, card=weekly_card(ctx, request, week_start=week_start,
                                                                             **report))
        audit.record(ctx, action="weekly.report", subject=f"request:{request.id}", request_id=request.id,
                     actor_id=None, detail={"week": week_start.isoformat()})
    return str(page[-1].id) if len(page) == limit else None


def _report(ctx: Ctx, tasks: list[Task], posts: list[ProgressPost], issues: list) -> dict[str, list[str]]:
    """Done / next week / risks from the week's posts, the tasks and the open issues."""
    by_task = {t.id: t for t in tasks}
    latest: dict[int, ProgressPost] = {p.task_id: p for p in posts}  # type: ignore[misc]
    return dict(
        done=[f"{by_task[p.task_id].title}（{p.work_date.isoformat()}）: {p.today}" for p in posts],
        next_week=[f"{by_task[tid].title}: {p.tomorrow}" for tid, p in latest.items() if p.tomorrow],
        risks=[f"{by_task[p.task_id].title}: {p.risk_note}" for p in posts if p.risk_note]
        + [ctx.t("weekly.task_risk", task=t.title, status=ctx.t(f"status.{t.status}"), risk=ctx.t(f"risk.{t.risk}"))
           for t in tasks if t.status == TaskStatus.DELAYED or t.risk == "high"]
        + [f"#{i.seq} {i.description[:60]}" for i in issues if i.severity == "high"])


JOBS = {DAILY_REMIND: daily_remind, DAILY_SUMMARY: daily_summary, WEEKLY_REPORT: weekly_report}
