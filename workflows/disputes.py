"""R15: a dispute the liaisons could not settle goes to both department heads at once, and to
the supervising VP if the heads have not settled it in time (chain per workspace policy)."""
from __future__ import annotations

from datetime import timedelta

from storage import counters
from storage.tables import Dispute, Timer
from workflows import audit, authz, outbox, timers
from workflows.cards import Card, CardField
from workflows.commands import Command
from workflows.context import Ctx
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.repo import dept_ids, request_by_id, request_by_number
from workflows.responsibilities import names
from workflows.views.common import button, mentions


def _key(d: Dispute) -> str:
    return f"dispute:{d.id}"


def _card(ctx: Ctx, request, d: Dispute, notify: list[int]) -> Card:
    t = ctx.t
    fields = [CardField(t("field.state"), t(f"dispute_state.{d.state}")),
              CardField(t("field.involved"), "、".join(ctx.dept_name(x) for x in d.departments)),
              CardField(t("field.raised_by"), ctx.person_name(d.raised_by))]
    if d.decision:
        fields.append(CardField(t("field.decision"), f"{d.decision} · {ctx.person_name(d.settled_by)}", short=False))
    buttons = [] if d.state != "open" else [button(
        ctx, "dispute.settle", "button.settle", key=_key(d), allowed=_deciders(ctx, d), style="primary", x=d.id)]
    return Card(title=t("dispute.title", number=request.number, seq=d.seq, level=t(f"dispute.level{d.escalation_level}")),
                tone="danger" if d.state == "open" else "success", text=d.text, fields=fields,
                buttons=buttons, mentions=mentions(ctx, notify))


def _deciders(ctx: Ctx, d: Dispute) -> list[int]:
    vps = [ctx.dept(x).vp_id for x in d.departments if ctx.dept(x) and ctx.dept(x).vp_id]
    return list(dict.fromkeys([*authz.heads(ctx, d.departments), *(vps if d.escalation_level >= 2 else [])]))


async def raise_dispute(ctx: Ctx, *, command: Command) -> Reply:
    request = await request_by_number(ctx, command.ref)
    text = str(command.fields.get("desc") or command.text or "").strip()
    if not text:
        raise UserError("error.dispute_empty", usage="dispute")
    others = dept_ids(ctx, names(command.fields.get("dept") or command.fields.get("depts")), field="dept")
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
    outbox.announce(ctx, conversation=request.conversation, card=card, card_key=_key(d), people=heads)
    timers.set_timer(ctx, kind="dispute.escalate", subject=_key(d), request_id=request.id, dispute=d.id,
                     due_at=ctx.now + timedelta(hours=ctx.policy.dispute_vp_hours))
    audit.record(ctx, action="dispute.raise", subject=_key(d), request_id=request.id,
                 detail={"departments": [ctx.dept_name(x) for x in depts]})
    return Reply(text=ctx.t("reply.dispute", number=request.number, seq=d.seq))


async def settle(ctx: Ctx, *, dispute_id: int) -> Reply:
    d = await ctx.uow.lock(Dispute, int(dispute_id))
    if d is None:
        raise UserError("error.unknown_dispute")
    request = await request_by_id(ctx, d.request_id)
    if ctx.actor is None or ctx.actor.id not in _deciders(ctx, d):
        raise Refused("refused.settle")
    if d.state != "open":
        return Reply(ok=False, text=ctx.t("reply.dispute_settled", seq=d.seq, who=ctx.person_name(d.settled_by)))
    d.state, d.settled_by, d.settled_at, d.decision = "settled", ctx.actor.id, ctx.now, ctx.t("dispute.settled_by")
    await timers.cancel(ctx.uow, subject=_key(d))
    audit.record(ctx, action="dispute.settle", subject=_key(d), request_id=request.id, before="open", after="settled")
    outbox.show(ctx, conversation=request.conversation, card_key=_key(d), card=_card(ctx, request, d, []))
    return Reply(text=ctx.t("reply.dispute_settled", seq=d.seq, who=ctx.actor.name))


@timers.handles("dispute.escalate")
async def escalate_dispute(ctx: Ctx, timer: Timer) -> None:
    d = await ctx.uow.lock(Dispute, int(timer.payload["dispute"]))
    if d is None or d.state != "open" or d.escalation_level >= 2:
        return
    request = await request_by_id(ctx, d.request_id)
    d.escalation_level = 2
    vps = [p for p in _deciders(ctx, d) if p not in authz.heads(ctx, d.departments)]
    card = _card(ctx, request, d, vps)
    for vp in vps:
        outbox.direct(ctx, person_id=vp, card=card, urgent=True, level=2)
    outbox.show(ctx, conversation=request.conversation, card_key=_key(d), card=card)
    audit.record(ctx, action="dispute.escalate", subject=_key(d), request_id=request.id, actor_id=None,
                 detail={"to": [ctx.person_name(v) for v in vps]})
