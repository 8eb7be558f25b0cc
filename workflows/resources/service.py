"""R33: a department declares what it needs (or has available) for a request — people,
person-days, budget, tools — for its own department only; the roll-up card in the group flags a
need beyond what was declared available and, before the initial review (R4), names the
initiating head; the initiating side may send it to the VP, who approves or rejects on a card."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlmodel import col, select

from storage.tables import CollaborationRequest, Confirmation, ResourceLine
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.kernel import audit, authz, keys, outbox
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import confirmations
from workflows.requests.guard import open_request
from workflows.resources.cards import approval_card, resources_card

APPROVAL = "resources"  # the VP's approval, a `Confirmation` of this kind


@dataclass(frozen=True)
class ResourceDraft:
    people: int = 0
    days: float = 0
    budget: float = 0
    tools: str = ""

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> "ResourceDraft":
        def number(name: str) -> float:
            raw = str(fields.get(name) or "0").strip().rstrip("人天元¥￥ ").replace(",", "")
            try:
                value = float(raw)
            except ValueError:
                raise UserError("error.bad_number", field=name, text=str(fields.get(name))) from None
            if value < 0:
                raise UserError("error.bad_number", field=name, text=str(fields.get(name)))
            return value
        return cls(people=int(number("people")), days=number("days"), budget=number("budget"),
                   tools=str(fields.get("tools") or "").strip())


async def lines_of(ctx: Ctx, request_id: int) -> list[ResourceLine]:
    return await ctx.uow.all(select(ResourceLine).where(ResourceLine.request_id == request_id)
                             .order_by(col(ResourceLine.id)))


async def _approved_text(ctx: Ctx, request: CollaborationRequest) -> str:
    done = await confirmations(ctx, request.id, APPROVAL)
    return ctx.t("resources.approved_by", who=ctx.person_name(done[0].person_id),
                 when=ctx.local_text(done[0].confirmed_at)) if done else ""


async def _show_rollup(ctx: Ctx, request: CollaborationRequest, *, post: bool = False) -> None:
    card = resources_card(ctx, request, await lines_of(ctx, request.id), approved=await _approved_text(ctx, request))
    (outbox.post if post else outbox.show)(ctx, conversation=request.conversation,
                                           card_key=keys.resources_card(request.id), card=card)


async def declare(ctx: Ctx, *, number: str | None, available: bool, draft: ResourceDraft) -> Reply:
    request = await open_request(ctx, number=number, doing="issue", lock=True)
    actor = ctx.actor
    dept = actor.department_id if actor else None
    if actor is None or dept is None or dept not in [request.initiating_department_id, *request.collaborating]:
        raise Refused("refused.resources", number=request.number)
    if await confirmations(ctx, request.id, APPROVAL):
        raise UserError("error.resources_approved", number=request.number)
    kind = "available" if available else "need"
    lines = await lines_of(ctx, request.id)
    first = not lines
    row = next((x for x in lines if x.department_id == dept and x.kind == kind), None)
    if row is None:
        row = ResourceLine(request_id=request.id, department_id=dept, kind=kind, declared_by=actor.id,
                           declared_at=ctx.now)  # type: ignore[arg-type]
    row.people, row.days, row.budget, row.tools = draft.people, draft.days, draft.budget, draft.tools
    row.declared_by, row.declared_at = actor.id, ctx.now  # type: ignore[assignment]
    ctx.uow.add(row)
    await ctx.uow.flush()
    audit.record(ctx, action=f"resources.{kind}", subject=keys.resources_card(request.id), request_id=request.id,
                 detail={"department": ctx.dept_name(dept), "people": row.people, "days": row.days,
                         "budget": row.budget, "rule": "R33"})
    await _show_rollup(ctx, request, post=first)
    return Reply(text=ctx.t(f"reply.resources_{kind}", dept=ctx.dept_name(dept), number=request.number))


async def show(ctx: Ctx, *, number: str | None) -> Reply:
    request = await open_request(ctx, number=number, doing="view")
    card = resources_card(ctx, request, await lines_of(ctx, request.id), approved=await _approved_text(ctx, request),
                          submittable=False)
    return Reply(text=ctx.t("reply.resources", number=request.number), card=card)


async def submit(ctx: Ctx, *, request_id: int) -> Reply:
    """The initiating side sends the roll-up up to the initiating department's VP."""
    request = await open_request(ctx, request_id=request_id, doing="issue")
    if ctx.actor is None or ctx.actor.id not in authz.may_manage(ctx, request):
        raise Refused("refused.manage", number=request.number)
    lines = await lines_of(ctx, request.id)
    vps = authz.vps(ctx, [request.initiating_department_id])
    if not lines or not vps:
        raise UserError("error.resources_nothing", number=request.number)
    card = approval_card(ctx, request, lines, vps)
    for vp in vps:
        outbox.direct(ctx, person_id=vp, card=card, card_key=keys.resources_approval(request.id))
    audit.record(ctx, action="resources.submit", subject=keys.resources_approval(request.id), request_id=request.id)
    return Reply(text=ctx.t("reply.resources_submitted", number=request.number,
                            who="、".join(ctx.person_name(v) for v in vps)))


async def decide(ctx: Ctx, *, request_id: int, approve: bool) -> Reply:
    request = await open_request(ctx, request_id=request_id, doing="issue", lock=True)
    vps = authz.vps(ctx, [request.initiating_department_id])
    if ctx.actor is None or ctx.actor.id not in vps:
        raise Refused("refused.vp", dept=ctx.dept_name(request.initiating_department_id))
    if done := await confirmations(ctx, request.id, APPROVAL):
        return Reply(ok=False, text=ctx.t("reply.resources_already", who=ctx.person_name(done[0].person_id)))
    if approve:
        ctx.uow.add(Confirmation(request_id=request.id, kind=APPROVAL, department_id=request.initiating_department_id,
                                 person_id=ctx.actor.id, confirmed_at=ctx.now))
        await ctx.uow.flush()
    audit.record(ctx, action="resources.approve" if approve else "resources.reject",
                 subject=keys.resources_approval(request.id), request_id=request.id)
    footer = ctx.t("resources.decided." + ("approved" if approve else "rejected"), who=ctx.actor.name,
                   when=ctx.local_text(ctx.now))
    outbox.show(ctx, conversation=ctx.conversation, card_key=keys.resources_approval(request.id),
                card=approval_card(ctx, request, await lines_of(ctx, request.id), vps, footer=footer))
    await _show_rollup(ctx, request)
    outbox.post(ctx, conversation=request.conversation, card=resources_card(
        ctx, request, await lines_of(ctx, request.id), approved=footer, submittable=False))
    return Reply(text=footer)
