"""R15: a dispute the liaisons could not settle goes to both department heads at once, and to
the supervising VP if the heads have not settled it in time (chain per workspace policy)."""
from __future__ import annotations

from datetime import timedelta

from storage import counters
from storage.tables import Confirmation, Dispute, Timer
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.cards import Card, CardField
from workflows.kernel.context import Ctx
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.feedback.machine import DISPUTE, DisputeState
from workflows.kernel.lookups import confirmations, dept_ids
from workflows.requests.guard import open_request, timer_request
from workflows.kernel.widgets import button, mentions, reason_form

ESCALATE = "dispute.escalate"


def _card(ctx: Ctx, request, d: Dispute, notify: list[int]) -> Card:
    t = ctx.t
    fields = [CardField(t("field.state"), t(f"dispute_state.{d.state}")),
              CardField(t("field.involved"), ctx.join(ctx.dept_name(x) for x in d.departments)),
              CardField(t("field.raised_by"), ctx.person_name(d.raised_by))]
    if d.decision:
        by = ctx.person_name(d.settled_by) if d.settled_by else t("dispute.proposed")
        fields.append(CardField(t("field.decision"), f"{d.decision} · {by}", short=False))
    buttons = [] if not DISPUTE.can(d.state, "settle") else [button(
        ctx, "dispute.settle", "button.settle", key=keys.dispute_card(d.id), allowed=_deciders(ctx, d), style="primary", x=d.id)]
    return Card(title=t("dispute.title", number=request.number, seq=d.seq, level=t(f"dispute.level{d.escalation_level}")),
                tone="danger" if DISPUTE.can(d.state, "settle") else "success", text=d.text, fields=fields,
                buttons=buttons, mentions=mentions(ctx, notify))


def _deciders(ctx: Ctx, d: Dispute) -> list[int]:
    vps = [ctx.dept(x).vp_id for x in d.departments if ctx.dept(x) and ctx.dept(x).vp_id]
    return list(dict.fromkeys([*authz.heads(ctx, d.departments), *(vps if d.escalation_level >= 2 else [])]))


async def raise_dispute(ctx: Ctx, *, number: str | None, text: str, depts: list[str]) -> Reply:
    """R15: the liaisons could not agree — both heads are asked at once."""
    request = await open_request(ctx, number=number, doing="dispute")
    text = text.strip()
    if not text:
        raise UserError("error.dispute_empty", usage="dispute")
    others = dept_ids(ctx, depts, field="dept")
    depts = list(dict.fromkeys([x for x in [ctx.actor.department_id, *others] if x]))  # type: ignore[union-attr]
    if len(depts) < 2:
        depts = list(dict.fromkeys([*depts, request.initiating_department_id, *request.collaborating]))
    d = Dispute(request_id=request.id, seq=await counters.next_value(
        ctx.uow, workspace_id=ctx.workspace.id, name=f"dispute:{request.id}",
        seed=lambda: counters.max_of(ctx.uow, Dispute.seq, Dispute.request_id == request.id)), raised_by=ctx.actor.id,
                departments=depts, text=text, raised_at=ctx.now)  # type: ignore[union-attr]
    ctx.uow.add(d)
    await ctx.uow.flush()
    heads = authz.heads(ctx, depts)
    card = _card(ctx, request, d, heads)
    outbox.announce(ctx, conversation=request.conversation, card=card, card_key=keys.dispute_card(d.id), people=heads)
    timers.set_timer(ctx, kind=ESCALATE, subject=keys.dispute_card(d.id), request_id=request.id, dispute=d.id,
                     due_at=ctx.now + timedelta(hours=ctx.policy.dispute_vp_hours))
    audit.record(ctx, action="dispute.raise", subject=keys.dispute_card(d.id), request_id=request.id,
                 detail={"departments": [ctx.dept_name(x) for x in depts]})
    return Reply(text=ctx.t("reply.dispute", number=request.number, seq=d.seq))


async def settle(ctx: Ctx, *, dispute_id: int, decision: str | None = None) -> Reply:
    """R15: the decision, in the settler's words (`None`: the button asks for it). The VP decides
    alone; a head's decision waits for the other side's head, who agrees by settling too."""
    d = await ctx.uow.lock(Dispute, dispute_id)
    if d is None:
        raise UserError("error.unknown_dispute")
    request = await open_request(ctx, request_id=d.request_id, doing="dispute")
    if ctx.actor is None or ctx.actor.id not in _deciders(ctx, d):
        raise Refused("refused.settle")
    if not DISPUTE.can(d.state, "settle"):
        return Reply(ok=False, text=ctx.t("reply.dispute_settled", seq=d.seq, who=ctx.person_name(d.settled_by)))
    if decision is None:
        return Reply(form=reason_form(ctx, form_id="dispute.settle", value={"x": d.id},
                                      title=ctx.t("form.settle.title", number=request.number, seq=d.seq),
                                      initial=d.decision))
    if not decision.strip():
        raise UserError("error.reason_required", field="reason")
    key, heads = keys.dispute_card(d.id), authz.heads(ctx, d.departments)
    sides = [x for x in d.departments if ctx.actor.id in authz.heads(ctx, [x])]
    d.decision = d.decision or decision.strip()  # the first head's words are what the other agrees to
    if ctx.actor.id in heads and len(heads) > 1:
        agreed = await confirmations(ctx, request.id, "dispute", d.id)
        for side in sides:
            if side not in {c.department_id for c in agreed}:
                ctx.uow.add(Confirmation(request_id=request.id, kind="dispute", subject_id=d.id, department_id=side,
                                         person_id=ctx.actor.id, confirmed_at=ctx.now))
        audit.record(ctx, action="dispute.agree", subject=key, request_id=request.id,
                     detail={"decision": decision.strip()})
        waiting = [x for x in d.departments if x not in {c.department_id for c in agreed} | set(sides)]
        if waiting:
            outbox.show(ctx, conversation=request.conversation, card_key=key, card=_card(ctx, request, d, heads))
            return Reply(text=ctx.t("reply.dispute_agreed", seq=d.seq, depts=ctx.join(ctx.dept_name(x) for x in waiting)))
    else:
        d.decision = decision.strip()  # the VP's word is final
    d.state, d.settled_by, d.settled_at = DISPUTE.next(d.state, "settle"), ctx.actor.id, ctx.now
    await timers.cancel(ctx.uow, subject=key)
    audit.record(ctx, action="dispute.settle", subject=key, request_id=request.id, before=DisputeState.OPEN,
                 after=d.state, detail={"decision": d.decision})
    outbox.show(ctx, conversation=request.conversation, card_key=key, card=_card(ctx, request, d, []))
    return Reply(text=ctx.t("reply.dispute_settled", seq=d.seq, who=ctx.actor.name))


async def escalate_dispute(ctx: Ctx, timer: Timer) -> None:
    """R15: the heads did not settle it in time — the supervising VP decides."""
    d = await ctx.uow.lock(Dispute, int(timer.payload["dispute"]))
    if d is None or not DISPUTE.can(d.state, "escalate") or d.escalation_level >= 2:
        return
    request = await timer_request(ctx, timer, doing="dispute", request_id=d.request_id)
    if request is None:
        return
    d.state, d.escalation_level = DISPUTE.next(d.state, "escalate"), 2
    vps = [p for p in _deciders(ctx, d) if p not in authz.heads(ctx, d.departments)]
    card = _card(ctx, request, d, vps)
    for vp in vps:
        outbox.direct(ctx, person_id=vp, card=card, escalation="vp")
    outbox.show(ctx, conversation=request.conversation, card_key=keys.dispute_card(d.id), card=card)
    audit.record(ctx, action="dispute.escalate", subject=keys.dispute_card(d.id), request_id=request.id, actor_id=None,
                 detail={"to": [ctx.person_name(v) for v in vps]})


TIMERS = {ESCALATE: escalate_dispute}
