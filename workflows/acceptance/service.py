"""R19 delivery with a self-check list, R20 acceptance (pass / fail / needs rework, with a rework
deadline), R21 completion confirmed by both sides."""
from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from sqlmodel import col, select

from storage.tables import Acceptance, Delivery
from workflows.kernel import audit, authz, outbox, timers
from workflows.cards import Card
from workflows.grammar.commands import Command
from workflows.kernel.context import Ctx
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.kernel.lookups import request_by_id, request_by_number, tasks_of
from workflows.requests.service import parse_day
from workflows.kernel.signoff import all_signed, sign
from workflows.requests.machine import next_state
from workflows.acceptance.cards import (completion_card, delivery_card, delivery_form, delivery_key,
                                        standard_id)
from workflows.kernel.widgets import mentions
from workflows.requests.cards import request_card, request_key

MET = {"yes", "y", "true", "met", "是", "✓", "✔", "√", "达标", "通过", "1"}


def _checks(value: Any) -> list[dict[str, Any]]:
    """Self-check items from the command parser (pairs, dicts) → [{"standard", "met"}]."""
    items = value.items() if isinstance(value, dict) else (value or [])
    out = []
    for item in items:
        standard, met = (item["standard"], item["met"]) if isinstance(item, dict) else item
        out.append({"standard": str(standard).strip(),
                    "met": met if isinstance(met, bool) else str(met).strip().lower() in MET})
    return out


async def _standards(ctx: Ctx, request) -> list[str]:
    found = [request.standard] + [t.standard for t in await tasks_of(ctx, request.id)]
    return [s for s in dict.fromkeys(x.strip() for x in found) if s]


def _may_deliver(ctx: Ctx, request, tasks) -> None:
    """R19: the responsible (lead) departments submit."""
    leads = {t.lead_department_id for t in tasks}
    if ctx.actor is None or not (ctx.actor.department_id in leads or ctx.actor.id in [t.owner_id for t in tasks]):
        raise Refused("refused.deliver", depts="、".join(ctx.dept_name(d) for d in leads))


async def deliver(ctx: Ctx, *, request_id: int | None = None, command: Command | None = None,
                  fields: dict[str, Any] | None = None) -> Reply:
    request = (await request_by_id(ctx, request_id, lock=True) if request_id is not None
               else await request_by_number(ctx, command.ref if command else None, lock=True))
    tasks = await tasks_of(ctx, request.id)
    _may_deliver(ctx, request, tasks)
    if request.state not in ("in_progress", "rework"):
        raise UserError("error.state", number=request.number, state=ctx.t(f"state.{request.state}"))
    f = fields if fields is not None else (command.fields if command else {})
    deliverables = str(f.get("deliverables") or (command.text if command else "") or "").strip()
    standards = await _standards(ctx, request)
    if fields is not None:  # the form: a checkbox per agreed standard
        met = set(f.get("met") or [])  # the boxes' ids or, typed, the standards themselves
        checks = [{"standard": s, "met": standard_id(s) in met or s in met} for s in standards]
    else:
        checks = _checks(f.get("checks"))
    if not deliverables or not checks:
        if fields is not None:
            raise UserError("error.required", field="deliverables", name=ctx.t("field.deliverables"))
        return Reply(form=delivery_form(ctx, request, standards))
    rounds = await ctx.uow.all(select(Delivery.round).where(Delivery.request_id == request.id))
    delivery = Delivery(request_id=request.id, round=max(rounds, default=0) + 1, deliverables=deliverables,
                        self_check=checks, submitted_by=ctx.actor.id, submitted_at=ctx.now)  # type: ignore[union-attr]
    ctx.uow.add(delivery)
    before = request.state
    request.state, request.updated_at = next_state(before, "deliver"), ctx.now
    await ctx.uow.flush()
    await timers.cancel(ctx.uow, request_id=request.id, kinds=["rework.due"])
    audit.record(ctx, action="delivery.submit", subject=delivery_key(delivery), request_id=request.id,
                 before=before, after=request.state, detail={"round": delivery.round, "self_check": checks})
    outbox.post(ctx, conversation=request.conversation, card_key=delivery_key(delivery),
                card=delivery_card(ctx, request, delivery))
    outbox.show(ctx, conversation=request.conversation, card_key=request_key(request), card=request_card(ctx, request))
    return Reply(text=ctx.t("reply.delivered", number=request.number, round=delivery.round))


async def accept(ctx: Ctx, *, verdict: str, delivery_id: int | None = None, command: Command | None = None) -> Reply:
    """R20: the initiating department records the verdict against the agreed standards."""
    if delivery_id is not None:
        delivery = await ctx.uow.get(Delivery, int(delivery_id))
        if delivery is None:
            raise UserError("error.unknown_delivery")
        request = await request_by_id(ctx, delivery.request_id, lock=True)
    else:
        request = await request_by_number(ctx, command.ref if command else None, lock=True)
        delivery = await ctx.uow.first(select(Delivery).where(Delivery.request_id == request.id)
                                       .order_by(col(Delivery.round).desc()))
        if delivery is None:
            raise UserError("error.nothing_delivered", number=request.number)
    if ctx.actor is None or ctx.actor.id not in authz.may_accept(ctx, request):
        raise Refused("refused.accept", dept=ctx.dept_name(request.initiating_department_id))
    done = await ctx.uow.first(select(Acceptance).where(Acceptance.delivery_id == delivery.id))
    if done is not None or request.state != "delivered":
        return Reply(ok=False, text=ctx.t("reply.already_decided", number=request.number,
                                          state=ctx.t(f"state.{request.state}")))
    f = command.fields if command else {}
    rework_due = None
    if verdict != "pass":
        rework_due = (parse_day(ctx, f["rework_due"], field="rework_due") if f.get("rework_due")
                      else ctx.calendar.add_working_days(ctx.today, ctx.policy.rework_working_days))
    notes = str(f.get("notes") or (command.text if command else "") or "").strip()
    ctx.uow.add(Acceptance(request_id=request.id, delivery_id=delivery.id, verdict=verdict, notes=notes,
                           rework_due=rework_due, decided_by=ctx.actor.id, decided_at=ctx.now))
    before = request.state
    request.state, request.updated_at = next_state(before, verdict), ctx.now
    audit.record(ctx, action=f"acceptance.{verdict}", subject=delivery_key(delivery), request_id=request.id,
                 before=before, after=request.state,
                 detail={"round": delivery.round, "rework_due": rework_due.isoformat() if rework_due else None})
    outbox.show(ctx, conversation=request.conversation, card_key=delivery_key(delivery),
                card=delivery_card(ctx, request, delivery, verdict=verdict, notes=notes, by=ctx.actor.id))
    outbox.show(ctx, conversation=request.conversation, card_key=request_key(request), card=request_card(ctx, request))
    if verdict == "pass":
        sides = await completion_sides(ctx, request)
        outbox.post(ctx, conversation=request.conversation, card_key=f"completion:{request.id}",
                    card=completion_card(ctx, request, sides, []))
        return Reply(text=ctx.t("reply.accepted", number=request.number))
    timers.set_timer(ctx, kind="rework.due", subject=delivery_key(delivery), request_id=request.id,
                     due_at=ctx.calendar.at_local(rework_due + timedelta(days=1), time(0, 0)),
                     delivery=delivery.id)
    return Reply(text=ctx.t("reply.rework", number=request.number, day=rework_due.isoformat(),
                            verdict=ctx.t(f"verdict.{verdict}")))


async def completion_sides(ctx: Ctx, request) -> list[int]:
    """R21 both sides: the initiating department and every lead department."""
    leads = [t.lead_department_id for t in await tasks_of(ctx, request.id)]
    return list(dict.fromkeys([request.initiating_department_id, *leads]))


async def confirm_completion(ctx: Ctx, *, request_id: int, dept_id: int) -> Reply:
    """R21: both sides sign; the last signature completes the collaboration."""
    request = await request_by_id(ctx, request_id, lock=True)
    sides = await completion_sides(ctx, request)
    done, already = await sign(ctx, request=request, kind="completion", dept_id=dept_id, required=sides,
                               open_for_signing=request.state == "accepted", action="completion.confirm",
                               subject=f"completion:{request.id}")
    if already:
        return already
    if all_signed(done, sides):
        before = request.state
        request.state, request.updated_at = next_state(before, "complete"), ctx.now
        audit.record(ctx, action="request.complete", subject=request_key(request), request_id=request.id,
                     before=before, after=request.state)
        outbox.show(ctx, conversation=request.conversation, card_key=request_key(request),
                    card=request_card(ctx, request))
    outbox.show(ctx, conversation=request.conversation, card_key=f"completion:{request.id}",
                card=completion_card(ctx, request, sides, done))
    return Reply(text=ctx.t("reply.completion_confirmed", dept=ctx.dept_name(dept_id), number=request.number))


@timers.handles("rework.due")
async def rework_due(ctx: Ctx, timer) -> None:
    """R20: the rework deadline passed without a new delivery — the lead side and initiator are told."""
    request = await request_by_id(ctx, timer.request_id)
    if request.state != "rework":
        return
    tasks = await tasks_of(ctx, request.id)
    notify = list(dict.fromkeys([request.initiator_id, *authz.heads(ctx, [t.lead_department_id for t in tasks])]))
    card = Card(title=ctx.t("rework_overdue.title", number=request.number), tone="danger",
                text=ctx.t("rework_overdue.text", number=request.number), mentions=mentions(ctx, notify))
    outbox.announce(ctx, conversation=request.conversation, card=card, people=notify)
    audit.record(ctx, action="rework.overdue", subject=f"request:{request.id}", request_id=request.id, actor_id=None)
