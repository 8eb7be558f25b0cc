"""Cards of daily progress (R7), the weekly report (R8) and the board (R9)."""
from __future__ import annotations

from datetime import date

from storage.tables import CollaborationRequest, Issue, ProgressPost, Task
from workflows.cards import Card, CardField
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import STATE_TONE
from workflows.tasks.cards import task_line
from workflows.issues.machine import UNRESOLVED


def daily_card(ctx: Ctx, request: CollaborationRequest, task: Task, post: ProgressPost) -> Card:
    t = ctx.t
    fields = [CardField(t("field.today"), post.today, short=False)]
    if post.tomorrow:
        fields.append(CardField(t("field.tomorrow"), post.tomorrow, short=False))
    if post.risk_note:
        fields.append(CardField(t("field.risk"), post.risk_note, short=False))
    return Card(title=t("daily.title", number=request.number, seq=task.seq, task=task.title,
                        who=ctx.person_name(post.person_id), day=post.work_date.isoformat()),
                tone="neutral", fields=fields)


def board_card(ctx: Ctx, request: CollaborationRequest, tasks: list[Task], issues: list[Issue]) -> Card:
    t = ctx.t
    open_issues = [i for i in issues if i.state in UNRESOLVED]
    lines = [task_line(ctx, task) for task in tasks] or [t("board.no_tasks")]
    fields = [CardField(t("field.state"), t(f"state.{request.state}")),
              CardField(t("field.open_issues"), str(len(open_issues)))]
    return Card(title=t("board.title", number=request.number, title=request.title),
                tone=STATE_TONE[request.state], text="\n".join(lines), fields=fields)


def summary_card(ctx: Ctx, request: CollaborationRequest, *, day: date, posted: list[str], missed: list[str]) -> Card:
    """R7 17:00: who posted and who missed."""
    t = ctx.t
    return Card(title=t("summary.title", number=request.number, day=day.isoformat()),
                tone="warning" if missed else "success",
                fields=[CardField(t("summary.posted"), ctx.join(posted) or "—", short=False),
                        CardField(t("summary.missed"), ctx.join(missed) or "—", short=False)])


def weekly_card(ctx: Ctx, request: CollaborationRequest, *, week_start: date, done: list[str],
                next_week: list[str], risks: list[str]) -> Card:
    """R8: the report's three lists (the row the tick appends to `weekly_report`)."""
    t = ctx.t
    bullet = lambda items: "\n".join(f"• {x}" for x in items) or "—"  # noqa: E731
    return Card(title=t("weekly.title", number=request.number, week=week_start.isoformat()),
                tone="info",
                fields=[CardField(t("weekly.done"), bullet(done), short=False),
                        CardField(t("weekly.next"), bullet(next_week), short=False),
                        CardField(t("weekly.risks"), bullet(risks), short=False)])
