"""The risk register (R32): anyone of the request's departments adds a risk (risk, department,
countermeasure, trigger, probability/impact 高/中/低, owner); a date trigger is a timer that
raises the risk as an issue that morning (R12, through the issues service); the owner or the
initiating side can also raise it by hand when the condition is met, or close it."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, time
from typing import Any, Mapping

from sqlmodel import col, select

from storage.tables import CollaborationRequest, Issue, Risk, Task, Timer
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.grammar.dates import DateParseError, parse_date
from workflows.grammar.vocabulary import delayed_task, level, names
from workflows.issues.service import IssueDraft, raise_issue
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import dept_ids, next_seq, person_id, task_by_seq
from workflows.requests.guard import open_request, timer_request
from workflows.risks.cards import register_card, risk_card
from workflows.risks.machine import LISTED, RISK, RiskState

TRIGGER = "risk.trigger"
TRIGGER_AT = time(9, 0)  # a date trigger fires at the start of that working morning


@dataclass(frozen=True)
class RiskDraft:
    """One row of 风险应对与沟通机制表 as the grammar parsed it."""

    description: str
    dept: list[str]
    countermeasure: str = ""
    trigger: str = ""
    probability: str = "medium"
    impact: str = "medium"
    owner: str = ""

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> "RiskDraft":
        get = lambda k: str(fields.get(k) or "").strip()  # noqa: E731
        return cls(description=get("desc"), dept=names(fields.get("dept")), countermeasure=get("countermeasure"),
                   trigger=get("trigger"), probability=level(fields.get("probability")) or "medium",
                   impact=level(fields.get("impact")) or "medium", owner=get("owner"))


def _trigger_date(ctx: Ctx, text: str) -> date | None:
    """A trigger that is a date (`7/20`, `下周一`) is watched by the bot; any other text is a
    condition people watch and raise by hand."""
    try:
        day = parse_date(text, today=ctx.today) if text else None
    except DateParseError:
        return None
    if day is not None and day < ctx.today:
        raise UserError("error.date_in_past", field="trigger", day=day.isoformat())
    return day


async def add(ctx: Ctx, *, number: str | None, draft: RiskDraft) -> Reply:
    request = await open_request(ctx, number=number, doing="issue", lock=True)
    actor = ctx.actor
    if actor is None:
        raise UserError("error.no_department")
    if not draft.description:
        raise UserError("error.risk_desc", usage="risk")
    dept = (dept_ids(ctx, draft.dept, field="dept") or [actor.department_id or request.initiating_department_id])[0]
    owner = person_id(ctx, draft.owner, field="owner") if draft.owner else actor.id
    task_seq = delayed_task(draft.trigger)
    task = await task_by_seq(ctx, request, task_seq) if task_seq is not None else None
    risk = Risk(request_id=request.id, seq=await next_seq(ctx, Risk, request.id), description=draft.description[:200],
                department_id=dept, countermeasure=draft.countermeasure, trigger=draft.trigger,
                trigger_date=None if task else _trigger_date(ctx, draft.trigger),
                trigger_task_id=task.id if task else None, probability=draft.probability,
                impact=draft.impact, owner_id=owner, created_by=actor.id, created_at=ctx.now)
    ctx.uow.add(risk)
    await ctx.uow.flush()
    key = keys.risk_card(risk.id)  # type: ignore[arg-type]
    if risk.trigger_date:
        timers.set_timer(ctx, kind=TRIGGER, subject=key, request_id=request.id, risk=risk.id,
                         due_at=ctx.calendar.at_local(risk.trigger_date, TRIGGER_AT), allow_past=True)
    audit.record(ctx, action="risk.add", subject=key, request_id=request.id, after=RiskState.OPEN,
                 detail={"seq": risk.seq, "probability": risk.probability, "impact": risk.impact, "rule": "R32"})
    outbox.post(ctx, conversation=request.conversation, card_key=key, card=risk_card(ctx, request, risk))
    return Reply(text=ctx.t("reply.risk_added", number=request.number, seq=risk.seq))


async def register(ctx: Ctx, *, number: str | None) -> Reply:
    request = await open_request(ctx, number=number, doing="view")
    risks = await risks_of(ctx, request.id)
    return Reply(text=ctx.t("reply.risks", number=request.number, count=len(risks)),
                 card=register_card(ctx, request, risks))


async def risks_of(ctx: Ctx, request_id: int, *, states: frozenset[str] | None = None) -> list[Risk]:
    query = select(Risk).where(Risk.request_id == request_id)
    if states is not None:
        query = query.where(col(Risk.state).in_(sorted(states)))
    return await ctx.uow.all(query.order_by(col(Risk.seq)))


async def open_lines(ctx: Ctx, request_id: int) -> list[str]:
    """The risks still open (or raised and not yet closed), for the Friday report (R8)."""
    return [ctx.t("weekly.register_risk", seq=r.seq, desc=r.description, owner=ctx.person_name(r.owner_id),
                  state=ctx.t(f"risk_state.{r.state}"), probability=ctx.t(f"risk.{r.probability}"),
                  impact=ctx.t(f"risk.{r.impact}"))
            for r in await risks_of(ctx, request_id, states=LISTED)]


async def _risk(ctx: Ctx, risk_id: int, *, doing: str) -> tuple[CollaborationRequest, Risk]:
    risk = await ctx.uow.lock(Risk, risk_id)
    if risk is None:
        raise UserError("error.unknown_risk", seq=risk_id)
    request = await open_request(ctx, request_id=risk.request_id, doing=doing)
    if ctx.actor is None or ctx.actor.id not in authz.may_manage_risk(ctx, request, risk.owner_id):
        raise Refused("refused.risk", owner=ctx.person_name(risk.owner_id))
    return request, risk


async def _raise(ctx: Ctx, request: CollaborationRequest, risk: Risk, *, why: str) -> Issue:
    """The met trigger becomes an issue (R12), raised in the risk owner's name."""
    as_owner = dataclasses.replace(ctx, actor=ctx.person(risk.owner_id), clicked_key="")
    draft = IssueDraft(description=ctx.t("risk.issue_desc", seq=risk.seq, desc=risk.description, why=why),
                       severity=max(risk.probability, risk.impact, key=("low", "medium", "high").index),
                       responsible=[ctx.dept_name(risk.department_id)], owner=ctx.person_name(risk.owner_id),
                       suggestion=risk.countermeasure)
    await raise_issue(as_owner, number=request.number, draft=draft)
    issue = await ctx.uow.first(select(Issue).where(Issue.request_id == request.id).order_by(col(Issue.seq).desc()))
    before, risk.state, risk.issue_id = risk.state, RISK.next(risk.state, "trigger"), issue.id  # type: ignore[union-attr]
    key = keys.risk_card(risk.id)  # type: ignore[arg-type]
    await timers.cancel(ctx.uow, subject=key, kinds=[TRIGGER])
    audit.record(ctx, action="risk.trigger", subject=key, request_id=request.id, before=before, after=risk.state,
                 actor_id=ctx.actor.id if ctx.actor else None,
                 detail={"issue": issue.seq, "why": why, "rule": "R32"})  # type: ignore[union-attr]
    outbox.show(ctx, conversation=request.conversation, card_key=key, card=risk_card(
        ctx, request, risk, footer=ctx.t("risk.footer.raised", seq=issue.seq)))  # type: ignore[union-attr]
    return issue  # type: ignore[return-value]


async def trigger(ctx: Ctx, *, risk_id: int) -> Reply:
    """By hand: the condition happened (someone saw it)."""
    request, risk = await _risk(ctx, risk_id, doing="issue")
    if not RISK.can(risk.state, "trigger"):
        return Reply(ok=False, text=ctx.t("reply.risk_already", seq=risk.seq, state=ctx.t(f"risk_state.{risk.state}")))
    issue = await _raise(ctx, request, risk, why=ctx.t("risk.why.manual", who=ctx.actor.name))  # type: ignore[union-attr]
    return Reply(text=ctx.t("reply.risk_raised", number=request.number, seq=risk.seq, issue=issue.seq))


async def close(ctx: Ctx, *, risk_id: int) -> Reply:
    request, risk = await _risk(ctx, risk_id, doing="issue")
    if not RISK.can(risk.state, "close"):
        return Reply(ok=False, text=ctx.t("reply.risk_already", seq=risk.seq, state=ctx.t(f"risk_state.{risk.state}")))
    before, risk.state, risk.closed_at = risk.state, RISK.next(risk.state, "close"), ctx.now
    key = keys.risk_card(risk.id)  # type: ignore[arg-type]
    await timers.cancel(ctx.uow, subject=key, kinds=[TRIGGER])
    audit.record(ctx, action="risk.close", subject=key, request_id=request.id, before=before, after=risk.state)
    outbox.show(ctx, conversation=request.conversation, card_key=key, card=risk_card(
        ctx, request, risk, footer=ctx.t("risk.footer.closed", who=ctx.actor.name,  # type: ignore[union-attr]
                                         when=ctx.local_text(ctx.now))))
    return Reply(text=ctx.t("reply.risk_closed", number=request.number, seq=risk.seq))


async def date_reached(ctx: Ctx, timer: Timer) -> None:
    """The trigger date came and the risk is still open: it raises itself as an issue."""
    risk = await ctx.uow.lock(Risk, int(timer.payload["risk"]))
    if risk is None or not RISK.can(risk.state, "trigger"):
        return
    request = await timer_request(ctx, timer, doing="issue", request_id=risk.request_id)
    if request is None:
        return
    await _raise(ctx, request, risk, why=ctx.t("risk.why.date", day=risk.trigger_date.isoformat()))  # type: ignore[union-attr]


async def task_delayed(ctx: Ctx, request: CollaborationRequest, task: Task) -> None:
    """A task just went 延期 (R9): every open risk whose trigger names it raises itself (R32)."""
    rows = await ctx.uow.all(select(Risk).where(Risk.trigger_task_id == task.id, Risk.state == RiskState.OPEN)
                             .order_by(col(Risk.seq)))
    for risk in rows:
        await _raise(ctx, request, risk, why=ctx.t("risk.why.task", seq=task.seq, task=task.title))


TIMERS = {TRIGGER: date_reached}
