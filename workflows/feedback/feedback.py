"""R16: the initiator answers a collaborating department's feedback within 24 h (reminder, then
the initiating head is told); R18: feedback on a plan document is revised within 3 working days."""
from __future__ import annotations

from sqlmodel import col, select

from storage import counters
from storage.tables import CollaborationRequest, Feedback
from workflows.cards import Card
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.feedback.machine import FEEDBACK, REVISION, feedback_state, revision_state
from workflows.issues.escalation import hours_later
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import mentions
from workflows.requests.guard import open_request

RESPOND, ESCALATE, REVISE = "feedback.respond", "feedback.escalate", "plan.revise"


def card(ctx: Ctx, request: CollaborationRequest, fb: Feedback, key: str, notify: list[int],
         **params: object) -> Card:
    return Card(title=ctx.t(f"{key}.title", number=request.number, seq=fb.seq, **params), tone="warning",
                text=ctx.t(f"{key}.text", number=request.number, seq=fb.seq, text=fb.text,
                           who=ctx.person_name(fb.author_id), **params), mentions=mentions(ctx, notify))


async def give(ctx: Ctx, *, number: str | None, text: str, about_plan: bool) -> Reply:
    request = await open_request(ctx, number=number, doing="feedback")
    if not text.strip():
        raise UserError("error.feedback_empty", usage="feedback")
    fb = Feedback(request_id=request.id, seq=await counters.next_value(
        ctx.uow, workspace_id=ctx.workspace.id, name=f"feedback:{request.id}",
        seed=lambda: counters.max_of(ctx.uow, Feedback.seq, Feedback.request_id == request.id)), author_id=ctx.actor.id,
                  department_id=ctx.actor.department_id, text=text.strip(), about_plan=about_plan,
                  created_at=ctx.now)  # type: ignore[union-attr]
    ctx.uow.add(fb)
    await ctx.uow.flush()
    key = keys.feedback_card(fb.id)
    timers.set_timer(ctx, kind=RESPOND, subject=key, request_id=request.id,
                     due_at=hours_later(ctx, ctx.now, ctx.policy.initiator_response_hours), feedback=fb.id)
    extra = {}
    hours = ctx.policy.initiator_response_hours
    if about_plan:  # R18: the revising side sees its date the moment the clock starts
        day = ctx.calendar.add_working_days(ctx.today, ctx.policy.revision_working_days)
        timers.set_timer(ctx, kind=REVISE, subject=key, request_id=request.id,
                         due_at=ctx.calendar.at_local(day, ctx.calendar.work_end), feedback=fb.id)
        extra["revise_by"] = day.isoformat()
        revisers = list(dict.fromkeys([request.initiator_id, *authz.heads(ctx, [request.initiating_department_id])]))
        outbox.announce(ctx, conversation=request.conversation, people=revisers, card=card(
            ctx, request, fb, "feedback_plan", revisers, hours=hours, revise_by=day.isoformat(),
            days=ctx.policy.revision_working_days))
    else:
        outbox.post(ctx, conversation=request.conversation,
                    card=card(ctx, request, fb, "feedback", [request.initiator_id], hours=hours))
    audit.record(ctx, action="feedback.give", subject=key, request_id=request.id,
                 detail={"about_plan": about_plan, **extra})
    return Reply(text=ctx.t("reply.feedback", number=request.number, seq=fb.seq,
                            hours=ctx.policy.initiator_response_hours))


async def _pending(ctx: Ctx, *, number: str | None, seq: int | None, revision: bool
                   ) -> tuple[CollaborationRequest, Feedback]:
    """The feedback named by `#seq`, else the oldest one still waiting (for an answer or a revision)."""
    request = await open_request(ctx, number=number, doing="feedback")
    if ctx.actor is None or ctx.actor.id not in authz.may_manage(ctx, request):
        raise Refused("refused.manage", number=request.number)
    rows = await ctx.uow.all(select(Feedback).where(Feedback.request_id == request.id).order_by(col(Feedback.seq)))
    waiting = [f for f in rows if (REVISION.can(revision_state(f), "revise") if revision
                                   else FEEDBACK.can(feedback_state(f), "answer"))]
    chosen = next((f for f in rows if f.seq == seq), None) if seq else (waiting[0] if waiting else None)
    if chosen is None:
        raise UserError("error.no_feedback", number=request.number)
    return request, await ctx.uow.lock(Feedback, chosen.id)  # type: ignore[return-value]


async def answer(ctx: Ctx, *, number: str | None, seq: int | None, text: str) -> Reply:
    request, fb = await _pending(ctx, number=number, seq=seq, revision=False)
    FEEDBACK.next(feedback_state(fb), "answer")
    fb.answer, fb.answered_by, fb.answered_at = text.strip(), ctx.actor.id, ctx.now  # type: ignore[union-attr]
    await timers.cancel(ctx.uow, subject=keys.feedback_card(fb.id), kinds=[RESPOND, ESCALATE])
    audit.record(ctx, action="feedback.answer", subject=keys.feedback_card(fb.id), request_id=request.id)
    # R16: the answer reaches whoever asked, privately and in the group
    outbox.announce(ctx, conversation=request.conversation, people=[fb.author_id], card=card(
        ctx, request, fb, "feedback_answered", [fb.author_id], answerer=ctx.actor.name, answer=fb.answer))  # type: ignore[union-attr]
    return Reply(text=ctx.t("reply.answered", number=request.number, seq=fb.seq))


async def revise(ctx: Ctx, *, number: str | None, seq: int | None, note: str) -> Reply:
    request, fb = await _pending(ctx, number=number, seq=seq, revision=True)
    REVISION.next(revision_state(fb), "revise")
    fb.revised_at = ctx.now
    await timers.cancel(ctx.uow, subject=keys.feedback_card(fb.id), kinds=[REVISE])
    audit.record(ctx, action="plan.revise", subject=keys.feedback_card(fb.id), request_id=request.id,
                 detail={"note": note})
    return Reply(text=ctx.t("reply.revised", number=request.number, seq=fb.seq))
