"""R16: the initiator answers a collaborating department's feedback within 24 h (reminder, then
the initiating head is told); R18: feedback on a plan document is revised within 3 working days."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from storage import counters
from storage.tables import Feedback, Timer
from workflows import audit, authz, outbox, timers
from workflows.cards import Card
from workflows.commands import Command
from workflows.context import Ctx
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.issues import hours_later
from workflows.repo import request_by_id, request_by_number
from workflows.views.common import mentions


def _key(fb: Feedback) -> str:
    return f"feedback:{fb.id}"


def _card(ctx: Ctx, request, fb: Feedback, key: str, notify: list[int], **params: object) -> Card:
    return Card(title=ctx.t(f"{key}.title", number=request.number, seq=fb.seq), tone="warning",
                text=ctx.t(f"{key}.text", number=request.number, seq=fb.seq, text=fb.text,
                           who=ctx.person_name(fb.author_id), **params), mentions=mentions(ctx, notify))


async def give(ctx: Ctx, *, command: Command) -> Reply:
    request = await request_by_number(ctx, command.ref)
    text = command.text.strip()
    if not text:
        raise UserError("error.feedback_empty", usage="feedback")
    about_plan = "plan" in command.words
    fb = Feedback(request_id=request.id, seq=await counters.next_value(
        ctx.uow, workspace_id=ctx.workspace.id, name=f"feedback:{request.id}",
        seed=lambda: counters.max_of(ctx.uow, Feedback.seq, Feedback.request_id == request.id)), author_id=ctx.actor.id,
                  department_id=ctx.actor.department_id, text=text, about_plan=about_plan,
                  created_at=ctx.now)  # type: ignore[union-attr]
    ctx.uow.add(fb)
    await ctx.uow.flush()
    timers.set_timer(ctx, kind="feedback.respond", subject=_key(fb), request_id=request.id,
                     due_at=hours_later(ctx, ctx.now, ctx.policy.initiator_response_hours), feedback=fb.id)
    extra = {}
    if about_plan:
        day = ctx.calendar.add_working_days(ctx.today, ctx.policy.revision_working_days)
        timers.set_timer(ctx, kind="plan.revise", subject=_key(fb), request_id=request.id,
                         due_at=ctx.calendar.at_local(day, ctx.calendar.work_end), feedback=fb.id)
        extra["revise_by"] = day.isoformat()
    audit.record(ctx, action="feedback.give", subject=_key(fb), request_id=request.id,
                 detail={"about_plan": about_plan, **extra})
    outbox.post(ctx, conversation=request.conversation,
                card=_card(ctx, request, fb, "feedback", [request.initiator_id],
                           hours=ctx.policy.initiator_response_hours))
    return Reply(text=ctx.t("reply.feedback", number=request.number, seq=fb.seq,
                            hours=ctx.policy.initiator_response_hours))


async def _open(ctx: Ctx, command: Command, *, field: str) -> tuple:
    request = await request_by_number(ctx, command.ref)
    if ctx.actor is None or ctx.actor.id not in authz.may_manage(ctx, request):
        raise Refused("refused.manage", number=request.number)
    rows = await ctx.uow.all(select(Feedback).where(Feedback.request_id == request.id).order_by(Feedback.seq))
    pending = [f for f in rows if getattr(f, field) is None and (field != "revised_at" or f.about_plan)]
    chosen = next((f for f in rows if f.seq == command.sub), None) if command.sub else (pending[0] if pending else None)
    if chosen is None:
        raise UserError("error.no_feedback", number=request.number)
    return request, await ctx.uow.lock(Feedback, chosen.id)


async def answer(ctx: Ctx, *, command: Command) -> Reply:
    request, fb = await _open(ctx, command, field="answered_at")
    fb.answer, fb.answered_by, fb.answered_at = command.text.strip(), ctx.actor.id, ctx.now  # type: ignore[union-attr]
    await timers.cancel(ctx.uow, subject=_key(fb), kinds=["feedback.respond", "feedback.escalate"])
    audit.record(ctx, action="feedback.answer", subject=_key(fb), request_id=request.id)
    return Reply(text=ctx.t("reply.answered", number=request.number, seq=fb.seq))


async def revise(ctx: Ctx, *, command: Command) -> Reply:
    request, fb = await _open(ctx, command, field="revised_at")
    fb.revised_at = ctx.now
    await timers.cancel(ctx.uow, subject=_key(fb), kinds=["plan.revise"])
    audit.record(ctx, action="plan.revise", subject=_key(fb), request_id=request.id, detail={"note": command.text})
    return Reply(text=ctx.t("reply.revised", number=request.number, seq=fb.seq))


async def _pending(ctx: Ctx, timer: Timer, field: str):
    fb = await ctx.uow.get(Feedback, int(timer.payload["feedback"]))
    if fb is None or getattr(fb, field) is not None:
        return None, None
    return await request_by_id(ctx, fb.request_id), fb


@timers.handles("feedback.respond")
async def remind_initiator(ctx: Ctx, timer: Timer) -> None:
    request, fb = await _pending(ctx, timer, "answered_at")
    if fb is None:
        return
    card = _card(ctx, request, fb, "feedback_remind", [request.initiator_id], hours=ctx.policy.initiator_response_hours)
    outbox.announce(ctx, conversation=request.conversation, card=card, people=[request.initiator_id])
    timers.set_timer(ctx, kind="feedback.escalate", subject=_key(fb), request_id=request.id, feedback=fb.id,
                     due_at=timer.due_at + timedelta(hours=ctx.policy.initiator_escalate_hours), allow_past=True)
    audit.record(ctx, action="feedback.remind", subject=_key(fb), request_id=request.id, actor_id=None)


@timers.handles("feedback.escalate")
async def tell_initiating_head(ctx: Ctx, timer: Timer) -> None:
    request, fb = await _pending(ctx, timer, "answered_at")
    if fb is None:
        return
    heads = authz.heads(ctx, [request.initiating_department_id])
    card = _card(ctx, request, fb, "feedback_escalate", heads, who_initiator=ctx.person_name(request.initiator_id))
    outbox.announce(ctx, conversation=request.conversation, card=card, people=heads)
    audit.record(ctx, action="feedback.escalate", subject=_key(fb), request_id=request.id, actor_id=None)


@timers.handles("plan.revise")
async def revision_overdue(ctx: Ctx, timer: Timer) -> None:
    request, fb = await _pending(ctx, timer, "revised_at")
    if fb is None:
        return
    notify = [request.initiator_id, *authz.heads(ctx, [request.initiating_department_id])]
    card = _card(ctx, request, fb, "revision_overdue", notify, days=ctx.policy.revision_working_days)
    outbox.announce(ctx, conversation=request.conversation, card=card, people=notify)
    audit.record(ctx, action="plan.revision_overdue", subject=_key(fb), request_id=request.id, actor_id=None)
