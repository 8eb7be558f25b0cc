"""Daily progress (R7), manual status and risk updates (R9), the board."""
from __future__ import annotations

from sqlmodel import col, select

from storage.tables import CollaborationRequest, Issue, ProgressPost
from workflows.kernel import audit, authz, outbox, timers
from workflows.grammar.commands import Command
from workflows.kernel.context import Ctx
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.kernel.lookups import request_by_number, task_by_seq, tasks_of
from workflows.requests.machine import ACTIVE
from workflows.progress.cards import board_card, daily_card

STATUS_WORDS = {"not_started", "in_progress", "done", "delayed"}
RISK_WORDS = {"high": "high", "medium": "medium", "low": "low", "高": "high", "中": "medium", "低": "low"}


async def post_daily(ctx: Ctx, *, command: Command) -> Reply:
    """R7: today's progress and tomorrow's plan; posting again the same day replaces it."""
    request = await request_by_number(ctx, command.ref)
    if request.state not in ACTIVE:
        raise UserError("error.state", number=request.number, state=ctx.t(f"state.{request.state}"))
    task = await task_by_seq(ctx, request, command.sub)
    if ctx.actor is None or ctx.actor.id not in authz.may_update_task(ctx, task):
        raise Refused("refused.task", task=task.title, owner=ctx.person_name(task.owner_id))
    today = str(command.fields.get("today") or command.text or "").strip()
    if not today:
        raise UserError("error.daily_empty", usage="daily")
    post = await ctx.uow.first(select(ProgressPost).where(
        ProgressPost.task_id == task.id, ProgressPost.work_date == ctx.today))
    if post is None:
        post = ProgressPost(task_id=task.id, person_id=ctx.actor.id, work_date=ctx.today, today=today,
                            posted_at=ctx.now)
    post.today, post.posted_at, post.person_id = today, ctx.now, ctx.actor.id
    post.tomorrow = str(command.fields.get("tomorrow") or "").strip()
    post.risk_note = str(command.fields.get("risk") or "").strip()
    ctx.uow.add(post)
    if task.status == "not_started":
        task.status = "in_progress"
        audit.record(ctx, action="task.status", subject=f"task:{task.id}", request_id=request.id,
                     before="not_started", after="in_progress")
    audit.record(ctx, action="progress.post", subject=f"task:{task.id}", request_id=request.id,
                 detail={"day": ctx.today.isoformat()})
    outbox.post(ctx, conversation=request.conversation, card=daily_card(ctx, request, task, post))
    return Reply(text=ctx.t("reply.daily", number=request.number, task=task.title))


async def update_status(ctx: Ctx, *, command: Command) -> Reply:
    """R9: the owner (or the lead head) sets status and/or risk by hand."""
    request = await request_by_number(ctx, command.ref, lock=True)
    task = await task_by_seq(ctx, request, command.sub)
    if ctx.actor is None or ctx.actor.id not in authz.may_update_task(ctx, task):
        raise Refused("refused.task", task=task.title, owner=ctx.person_name(task.owner_id))
    status = next((w for w in command.words if w in STATUS_WORDS), None)
    risk_text = str(command.fields.get("risk") or "").strip()
    risk = RISK_WORDS.get(risk_text.lower()) if risk_text else next(
        (w for w in command.words if w in ("high", "medium", "low")), None)
    if status is None and risk is None:
        raise UserError("error.status_missing", usage="status")
    before = f"{task.status}/{task.risk}"
    if status:
        task.status = status
        task.done_at = ctx.now if status == "done" else None
        if status == "done":
            await timers.cancel(ctx.uow, subject=f"task:{task.id}")
    if risk:
        task.risk = risk
    audit.record(ctx, action="task.status", subject=f"task:{task.id}", request_id=request.id,
                 before=before, after=f"{task.status}/{task.risk}")
    return Reply(text=ctx.t("reply.status", task=task.title, status=ctx.t(f"status.{task.status}"),
                            risk=ctx.t(f"risk.{task.risk}")))


async def board(ctx: Ctx, *, command: Command) -> Reply:
    """The board: every task's status and risk, open issues; answered privately."""
    if command.ref:
        requests = [await request_by_number(ctx, command.ref)]
    else:
        requests = await ctx.uow.all(select(CollaborationRequest).where(
            CollaborationRequest.workspace_id == ctx.workspace.id,
            CollaborationRequest.conversation == ctx.conversation,
            col(CollaborationRequest.state).in_(sorted(ACTIVE | {"assigning"}))))
    if not requests:
        return Reply(text=ctx.t("reply.board_empty"))
    if len(requests) == 1:
        request = requests[0]
        issues = await ctx.uow.all(select(Issue).where(Issue.request_id == request.id))
        return Reply(
            text=ctx.t("reply.board_shown", number=request.number),
            card=board_card(ctx, request, await tasks_of(ctx, request.id), issues))
    lines = [f"{r.number} {r.title} · {ctx.t(f'state.{r.state}')}" for r in requests]
    return Reply(text="\n".join(lines))
