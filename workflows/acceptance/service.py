"""R19 delivery with a self-check list, R20 acceptance (pass / fail / needs rework, with a rework
deadline)."""
from __future__ import annotations

from sqlmodel import col, select

from storage.tables import Acceptance, CollaborationRequest, Delivery, Task
from workflows.acceptance.cards import completion_card, delivery_card, delivery_form, standard_id
from workflows.acceptance.completion import completion_sides
from workflows.acceptance.machine import DELIVERY, DeliveryState, Verdict
from workflows.cards import Card, Input
from workflows.errors import Refused, UserError
from workflows.grammar.vocabulary import split_items
from workflows.kernel.widgets import mentions, reason_form
from workflows.events import Reply
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import tasks_of
from workflows.panel.opening import manual_allowed, open_vote
from workflows.requests.cards import request_card
from workflows.requests.guard import open_request
from workflows.requests.machine import REQUEST
from workflows.requests.service import parse_day
from workflows.tasks.deadlines import overdue_at

REWORK_DUE = "rework.due"


async def standards_of(ctx: Ctx, request: CollaborationRequest) -> list[str]:
    """The agreed standards (R1's and each task's): the self-check list's lines."""
    found = [request.standard] + [t.standard for t in await tasks_of(ctx, request.id)]
    return [s for s in dict.fromkeys(item.strip() for text in found for item in split_items(text or "")) if s]


def _may_deliver(ctx: Ctx, tasks: list[Task]) -> None:
    """R19: the responsible (lead) departments submit."""
    leads = {t.lead_department_id for t in tasks}
    if ctx.actor is None or not (ctx.actor.department_id in leads or ctx.actor.id in [t.owner_id for t in tasks]):
        raise Refused("refused.deliver", depts=ctx.join(ctx.dept_name(d) for d in leads))


def self_check(ctx: Ctx, standards: list[str], checks: list[tuple[str, bool, str]]) -> list[dict]:
    """R19: the self-check list is the agreed standards, each ticked met or unmet — a line for
    something nobody agreed (“随便=是”) is refused, and so is a standard left out."""
    if not checks:
        return []
    by_text = {s.casefold(): s for s in standards}
    ticked: dict[str, dict] = {}
    for text, ok, note in checks:
        standard = by_text.get(text.casefold())
        if standard is None:
            raise UserError("error.check_unknown", field="checks", item=text, standards=ctx.join(standards))
        ticked[standard] = {"standard": standard, "met": ok, "note": note}
    missing = [s for s in standards if s not in ticked]
    if missing:
        raise UserError("error.check_missing", field="checks", missing=ctx.join(missing))
    return [ticked[s] for s in standards]


async def deliver(ctx: Ctx, *, deliverables: str, number: str | None = None, request_id: int | None = None,
                  checks: list[tuple[str, bool]] | None = None, met: set[str] | None = None) -> Reply:
    """Typed: `checks` as (standard, met) pairs; the form: `met`, the ids of the ticked boxes.
    Nothing given yet → the form with one box per agreed standard."""
    request = await open_request(ctx, number=number, request_id=request_id, doing="deliver", lock=True)
    tasks = await tasks_of(ctx, request.id)
    _may_deliver(ctx, tasks)
    standards = await standards_of(ctx, request)
    if met is not None:
        items = [{"standard": s, "met": standard_id(s) in met or s in met, "note": ""} for s in standards]
    else:
        items = self_check(ctx, standards, checks or [])
    if not deliverables.strip() or not items:
        if met is not None:
            raise UserError("error.required", field="deliverables", name=ctx.t("field.deliverables"))
        return Reply(form=delivery_form(ctx, request, standards))
    rounds = await ctx.uow.all(select(Delivery.round).where(Delivery.request_id == request.id))
    delivery = Delivery(request_id=request.id, round=max(rounds, default=0) + 1, deliverables=deliverables.strip(),
                        self_check=items, submitted_by=ctx.actor.id, submitted_at=ctx.now)  # type: ignore[union-attr]
    ctx.uow.add(delivery)
    before = request.state
    request.state, request.updated_at = REQUEST.next(before, "deliver"), ctx.now
    await ctx.uow.flush()
    await timers.cancel(ctx.uow, request_id=request.id, kinds=[REWORK_DUE])
    audit.record(ctx, action="delivery.submit", subject=keys.delivery_card(delivery.id), request_id=request.id,
                 before=before, after=request.state, detail={"round": delivery.round, "self_check": items})
    outbox.post(ctx, conversation=request.conversation, card_key=keys.delivery_card(delivery.id),
                card=delivery_card(ctx, request, delivery))
    open_vote(ctx, request, delivery)  # R35 a panel votes
    outbox.show(ctx, conversation=request.conversation, card_key=keys.request_card(request.id),
                card=request_card(ctx, request))
    return Reply(text=ctx.t("reply.delivered", number=request.number, round=delivery.round))


async def _delivery(ctx: Ctx, *, delivery_id: int | None, number: str | None
                    ) -> tuple[CollaborationRequest, Delivery]:
    if delivery_id is not None:
        delivery = await ctx.uow.get(Delivery, delivery_id)
        if delivery is None:
            raise UserError("error.unknown_delivery")
        return await open_request(ctx, request_id=delivery.request_id, doing="view", lock=True), delivery
    request = await open_request(ctx, number=number, doing="view", lock=True)
    latest = await ctx.uow.first(select(Delivery).where(Delivery.request_id == request.id)
                                 .order_by(col(Delivery.round).desc()))
    if latest is None:
        raise UserError("error.nothing_delivered", number=request.number)
    return request, latest


async def accept(ctx: Ctx, *, verdict: Verdict, delivery_id: int | None = None, number: str | None = None,
                 notes: str | None = None, rework_due: str = "", decided_by: int | None = None) -> Reply:
    """R20: the initiating department records the verdict against the agreed standards (R35:
    under a unanimous panel, the votes do — `decided_by` is whose name the verdict is recorded
    in, while the audit row names the voter whose vote settled it). 不通过 and 返工 need their
    reason (`None`: the button asks first) and set a rework deadline, which the delivering side
    is sent."""
    request, delivery = await _delivery(ctx, delivery_id=delivery_id, number=number)
    by_panel = decided_by is not None
    if not by_panel and (ctx.actor is None or ctx.actor.id not in authz.may_accept(ctx, request)):
        raise Refused("refused.accept", dept=ctx.dept_name(request.initiating_department_id))
    decider = decided_by if by_panel else ctx.actor.id  # type: ignore[union-attr]
    if not by_panel and not manual_allowed(request):
        raise UserError("error.panel_decides", number=request.number)
    decided = await ctx.uow.first(select(Acceptance).where(Acceptance.delivery_id == delivery.id))
    state = DeliveryState.DECIDED if decided else DeliveryState.SUBMITTED
    if not DELIVERY.can(state, verdict) or not REQUEST.can(request.state, verdict):
        return Reply(ok=False, text=ctx.t("reply.already_decided", number=request.number,
                                          state=ctx.t(f"state.{request.state}")))
    if verdict != Verdict.PASS and notes is None:
        return Reply(form=reason_form(
            ctx, form_id="acceptance.verdict", value={"dv": delivery.id, "verdict": str(verdict)},
            title=ctx.t("form.verdict.title", number=request.number, round=delivery.round,
                        verdict=ctx.t(f"verdict.{verdict}")),
            extra=[Input("rework_due", ctx.t("field.rework_due"), "date",
                         initial=ctx.calendar.add_working_days(ctx.today, ctx.policy.rework_working_days).isoformat())]))
    notes = (notes or "").strip()
    if verdict != Verdict.PASS and not notes and not by_panel:  # a panel's reasons are its votes
        raise UserError("error.reason_required", field="reason")
    due = None
    if verdict != Verdict.PASS:
        due = (parse_day(ctx, rework_due, field="rework_due") if rework_due
               else ctx.calendar.add_working_days(ctx.today, ctx.policy.rework_working_days))
        if due < ctx.today:
            raise UserError("error.date_in_past", field="rework_due", day=due.isoformat())
    ctx.uow.add(Acceptance(request_id=request.id, delivery_id=delivery.id, verdict=str(verdict), notes=notes,
                           rework_due=due, decided_by=decider, decided_at=ctx.now))
    before = request.state
    request.state, request.updated_at = REQUEST.next(before, verdict), ctx.now
    audit.record(ctx, action=f"acceptance.{verdict}", subject=keys.delivery_card(delivery.id), request_id=request.id,
                 before=before, after=request.state,
                 detail={"round": delivery.round, "rework_due": due.isoformat() if due else None})
    outbox.show(ctx, conversation=request.conversation, card_key=keys.delivery_card(delivery.id),
                card=delivery_card(ctx, request, delivery, verdict=verdict, notes=notes, by=decider,
                                  rework_due=due))
    outbox.show(ctx, conversation=request.conversation, card_key=keys.request_card(request.id),
                card=request_card(ctx, request))
    if verdict == Verdict.PASS:
        sides = await completion_sides(ctx, request)
        outbox.post(ctx, conversation=request.conversation, card_key=keys.completion_card(request.id),
                    card=completion_card(ctx, request, sides, []))
        return Reply(text=ctx.t("reply.accepted", number=request.number))
    assert due is not None
    tasks = await tasks_of(ctx, request.id)
    delivering = list(dict.fromkeys([delivery.submitted_by, *authz.heads(ctx, [t.lead_department_id for t in tasks])]))
    outbox.announce(ctx, conversation=request.conversation, people=delivering, card=Card(
        title=ctx.t("verdict_notice.title", number=request.number, round=delivery.round,
                    verdict=ctx.t(f"verdict.{verdict}")), tone="warning",
        text=ctx.t("verdict_notice.text", who=ctx.person_name(decider), reason=notes, day=due.isoformat()),
        mentions=mentions(ctx, delivering)))
    timers.set_timer(ctx, kind=REWORK_DUE, subject=keys.delivery_card(delivery.id), request_id=request.id,
                     due_at=overdue_at(ctx, due), delivery=delivery.id)
    late = [ctx.t("warning.after_request_due", what=ctx.t("field.rework_due"), day=due.isoformat(),
                  due=request.due_date.isoformat())] if request.due_date and due > request.due_date else []
    return Reply(text="\n".join([ctx.t("reply.rework", number=request.number, day=due.isoformat(),
                                       verdict=ctx.t(f"verdict.{verdict}")), *late]))
