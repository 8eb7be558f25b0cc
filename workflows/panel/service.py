"""R35: the initiating side chooses a panel (`unanimous` or `initiator_decides`) before delivery;
each delivery then gets a vote card; a head votes for their own department only, with a reason.
Under `unanimous` the last vote records the verdict (R20) in the initiator's name; under
`initiator_decides` the initiating head is told the votes and decides with the usual buttons.
Unvoted heads are reminded once after 24 hours."""
from __future__ import annotations

from sqlmodel import col, select

from storage.tables import Delivery, Timer, Vote
from workflows.acceptance.machine import Verdict
from workflows.acceptance.service import accept
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import mentions
from workflows.panel.cards import vote_card
from workflows.panel.machine import verdict
from workflows.panel.opening import REMIND
from workflows.requests.guard import open_request, timer_request

async def choose(ctx: Ctx, *, number: str | None, rule: str | None) -> Reply:
    request = await open_request(ctx, number=number, doing="change", lock=True)
    if ctx.actor is None or ctx.actor.id not in authz.may_manage(ctx, request):
        raise Refused("refused.manage", number=request.number)
    if rule is None:
        raise UserError("error.panel_rule", usage="panel")
    before, request.acceptance_rule = request.acceptance_rule, rule
    audit.record(ctx, action="panel.rule", subject=keys.request_card(request.id), request_id=request.id,
                 before=before, after=rule, detail={"rule": "R35"})
    return Reply(text=ctx.t("reply.panel", number=request.number, rule=ctx.t(f"panel.rule.{rule}")))


async def _votes(ctx: Ctx, delivery_id: int) -> list[Vote]:
    return await ctx.uow.all(select(Vote).where(Vote.delivery_id == delivery_id).order_by(col(Vote.id)))


async def vote(ctx: Ctx, *, delivery_id: int, dept_id: int, choice: str, reason: str = "") -> Reply:
    delivery = await ctx.uow.get(Delivery, delivery_id)
    if delivery is None:
        raise UserError("error.unknown_delivery")
    request = await open_request(ctx, request_id=delivery.request_id, doing="issue", lock=True)  # not closed
    if ctx.actor is None or ctx.actor.id not in authz.may_confirm_for(ctx, dept_id):
        raise Refused("refused.confirm", dept=ctx.dept_name(dept_id))
    if dept_id not in request.collaborating or not request.acceptance_rule:
        raise Refused("refused.not_involved", dept=ctx.dept_name(dept_id))
    votes = await _votes(ctx, delivery.id)  # type: ignore[arg-type]
    if mine := next((v for v in votes if v.department_id == dept_id), None):
        return Reply(ok=False, text=ctx.t("reply.already_voted", dept=ctx.dept_name(dept_id),
                                          who=ctx.person_name(mine.person_id)))
    if request.state != "delivered":
        raise UserError("error.state", number=request.number, state=ctx.t(f"state.{request.state}"))
    row = Vote(request_id=request.id, delivery_id=delivery.id, department_id=dept_id, person_id=ctx.actor.id,
               verdict=choice, reason=reason[:300], voted_at=ctx.now)  # type: ignore[arg-type]
    ctx.uow.add(row)
    votes.append(row)
    key = keys.vote_card(delivery.id)  # type: ignore[arg-type]
    audit.record(ctx, action=f"panel.{choice}", subject=key, request_id=request.id,
                 detail={"department": ctx.dept_name(dept_id), "reason": reason, "rule": "R35"})
    by_dept = {v.department_id: v.verdict for v in votes}
    outcome = verdict(request.acceptance_rule, by_dept, request.collaborating)
    footer = ""
    if not set(request.collaborating) - set(by_dept):
        await timers.cancel(ctx.uow, subject=key, kinds=[REMIND])
        footer = ctx.t("panel.all_voted")
        if outcome is None:  # the initiating head decides, seeing the votes
            heads = authz.heads(ctx, [request.initiating_department_id])
            for person in heads:
                outbox.direct(ctx, person_id=person, card=vote_card(ctx, request, delivery, votes, footer=footer))
    outbox.show(ctx, conversation=request.conversation, card_key=key,
                card=vote_card(ctx, request, delivery, votes, footer=footer))
    if outcome is not None:  # the R20 verdict, recorded in the initiator's name
        notes = "；".join(f"{ctx.dept_name(v.department_id)}: {v.reason}" for v in votes if v.reason)
        await accept(ctx, verdict=Verdict(outcome), delivery_id=delivery.id, notes=notes,
                     decided_by=request.initiator_id)
    return Reply(text=ctx.t("reply.voted", dept=ctx.dept_name(dept_id), verdict=ctx.t(f"verdict.{choice}")))


async def vote_typed(ctx: Ctx, *, number: str | None, choice: str | None, reason: str) -> Reply:
    """`/协作 投票 XT-2026-001 通过 理由` — the actor's own department, the latest delivery."""
    request = await open_request(ctx, number=number, doing="issue")
    if choice not in ("pass", "fail"):
        raise UserError("error.panel_vote", usage="vote")
    latest = await ctx.uow.first(select(Delivery).where(Delivery.request_id == request.id)
                                 .order_by(col(Delivery.round).desc()))
    if latest is None:
        raise UserError("error.nothing_delivered", number=request.number)
    dept = ctx.actor.department_id if ctx.actor else None
    return await vote(ctx, delivery_id=latest.id, dept_id=dept or 0, choice=choice, reason=reason)  # type: ignore[arg-type]


async def remind(ctx: Ctx, timer: Timer) -> None:
    request = await timer_request(ctx, timer, doing="view")
    delivery = await ctx.uow.get(Delivery, int(timer.payload["delivery"]))
    if request is None or delivery is None or request.state != "delivered":
        return
    voted = {v.department_id for v in await _votes(ctx, delivery.id)}  # type: ignore[arg-type]
    heads = authz.heads(ctx, [d for d in request.collaborating if d not in voted])
    if not heads:
        return
    card = vote_card(ctx, request, delivery, await _votes(ctx, delivery.id))  # type: ignore[arg-type]
    card.title = ctx.t("panel.remind.title", number=request.number)
    card.mentions = mentions(ctx, heads)
    outbox.announce(ctx, conversation=request.conversation, card=card, people=heads)
    audit.record(ctx, action=REMIND, subject=timer.subject, request_id=request.id, actor_id=None)


TIMERS = {REMIND: remind}
