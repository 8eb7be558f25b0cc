"""Daily progress (R7) and the board (R9's status and risk of every task, R37)."""
from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from storage.tables import CollaborationRequest, Issue, ProgressPost
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.kernel import audit, authz, keys, outbox
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import task_by_seq, tasks_of
from workflows.progress.cards import board_card, daily_card
from workflows.requests.guard import open_request
from workflows.requests.machine import ALLOWED
from workflows.tasks.machine import TASK, TaskStatus


BOARD_LINES = 20


async def post_daily(ctx: Ctx, *, number: str | None, seq: int | None, today: str, tomorrow: str = "",
                     risk_note: str = "") -> Reply:
    """R7: today's progress and tomorrow's plan; posting again the same day replaces it."""
    request = await open_request(ctx, number=number, doing="progress")
    task = await task_by_seq(ctx, request, seq)
    if ctx.actor is None or ctx.actor.id not in authz.may_update_task(ctx, task):
        raise Refused("refused.task", task=task.title, owner=ctx.person_name(task.owner_id))
    if not today.strip():
        raise UserError("error.daily_empty", usage="daily")
    post = await ctx.uow.first(select(ProgressPost).where(
        ProgressPost.task_id == task.id, ProgressPost.work_date == ctx.today))
    if post is None:
        post = ProgressPost(task_id=task.id, person_id=ctx.actor.id, work_date=ctx.today, today=today,
                            posted_at=ctx.now)
    post.today, post.posted_at, post.person_id = today.strip(), ctx.now, ctx.actor.id
    post.tomorrow, post.risk_note = tomorrow.strip(), risk_note.strip()
    ctx.uow.add(post)
    if task.status == TaskStatus.NOT_STARTED:
        task.status = TASK.next(task.status, "start")
        audit.record(ctx, action="task.status", subject=keys.task_subject(task.id), request_id=request.id,
                     before="not_started", after=task.status)
    audit.record(ctx, action="progress.post", subject=keys.task_subject(task.id), request_id=request.id,
                 detail={"day": ctx.today.isoformat()})
    outbox.post(ctx, conversation=request.conversation, card=daily_card(ctx, request, task, post))
    return Reply(text=ctx.t("reply.daily", number=request.number, task=task.title))


async def board(ctx: Ctx, *, number: str | None) -> Reply:
    """The board: every task's status and risk, open issues; answered privately."""
    where = [CollaborationRequest.workspace_id == ctx.workspace.id,
             CollaborationRequest.conversation == ctx.conversation,
             col(CollaborationRequest.state).in_(sorted(ALLOWED["task"]))]
    if number:
        requests = [await open_request(ctx, number=number, doing="view")]
    else:  # one screen, not every request of a busy chat (issue 15); `list` pages through all
        requests = await ctx.uow.all(select(CollaborationRequest).where(*where)
                                     .order_by(col(CollaborationRequest.id)).limit(BOARD_LINES + 1))
    if not requests:
        return Reply(text=ctx.t("reply.board_empty"))
    if len(requests) == 1:
        request = requests[0]
        issues = await ctx.uow.all(select(Issue).where(Issue.request_id == request.id))
        return Reply(
            text=ctx.t("reply.board_shown", number=request.number),
            card=board_card(ctx, request, await tasks_of(ctx, request.id), issues))
    lines = [f"{r.number} {r.title} · {ctx.t(f'state.{r.state}')}" for r in requests[:BOARD_LINES]]
    if len(requests) > BOARD_LINES:
        total = (await ctx.uow.execute(select(func.count()).select_from(CollaborationRequest).where(*where))).scalar_one()
        lines.append(ctx.t("reply.board_more", count=total - BOARD_LINES))
    return Reply(text="\n".join(lines))
