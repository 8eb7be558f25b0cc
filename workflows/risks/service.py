"""The risk register (R32): anyone of the request's departments adds a risk (risk, department,
countermeasure, trigger, probability/impact 高/中/低, owner). A trigger the bot can watch — a
date, a task going 延期, an issue still unresolved at its 解决时限 — raises the risk as an issue
by itself (`risks/triggers.py`); R11 enters as a built-in risk. The owner or the initiating
side can also raise it by hand when the condition is met, or close it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any, Iterable, Mapping, Sequence

from sqlmodel import col, select

from storage.tables import CollaborationRequest, Issue, Risk
from workflows.cards import Card
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.grammar.dates import DateParseError, parse_date
from workflows.grammar.vocabulary import delayed_task, level, linked_issue, names
from workflows.issues.machine import IssueState
from workflows.issues.service import IssueDraft, file_issue
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import dept_ids, issue_by_seq, next_seq, person_id, task_by_seq
from workflows.requests.guard import open_request
from workflows.risks.cards import register_card, risk_card
from workflows.risks.machine import LISTED, RISK, RiskState

TRIGGER = "risk.trigger"
ISSUE_DUE = "risk.issue_due"  # the watched issue's 解决时限
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
    issue_seq = linked_issue(draft.trigger)
    issue = await issue_by_seq(ctx, request, issue_seq) if issue_seq is not None else None
    if issue is not None and issue.state == IssueState.RESOLVED:  # nothing left to watch
        raise UserError("error.risk_issue_resolved", number=request.number, seq=issue.seq)
    task_seq = delayed_task(draft.trigger) if issue is None else None
    task = await task_by_seq(ctx, request, task_seq) if task_seq is not None else None
    risk = Risk(request_id=request.id, seq=await next_seq(ctx, Risk, request.id), description=draft.description[:200],
                department_id=dept, countermeasure=draft.countermeasure, trigger=draft.trigger,
                trigger_date=None if task or issue else _trigger_date(ctx, draft.trigger),
                trigger_task_id=task.id if task else None, trigger_issue_id=issue.id if issue else None,
                probability=draft.probability, impact=draft.impact, owner_id=owner, created_by=actor.id,
                created_at=ctx.now)
    ctx.uow.add(risk)
    await ctx.uow.flush()
    key = keys.risk_card(risk.id)  # type: ignore[arg-type]
    if risk.trigger_date:
        timers.set_timer(ctx, kind=TRIGGER, subject=key, request_id=request.id, risk=risk.id,
                         due_at=ctx.calendar.at_local(risk.trigger_date, TRIGGER_AT), allow_past=True)
    if issue is not None:  # a deadline already past fires at once: the issue is overdue now
        timers.set_timer(ctx, kind=ISSUE_DUE, subject=key, request_id=request.id, risk=risk.id,
                         due_at=issue.deadline or ctx.now, allow_past=True)
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


def register_lines(ctx: Ctx, risks: Iterable[Risk]) -> list[str]:
    """Lines of the register's risks for the Friday report (R8)."""
    return [ctx.t("weekly.register_risk", seq=r.seq, desc=r.description, owner=ctx.person_name(r.owner_id),
                  state=ctx.t(f"risk_state.{r.state}"), probability=ctx.t(f"risk.{r.probability}"),
                  impact=ctx.t(f"risk.{r.impact}"))
            for r in risks]


async def listed_of_requests(ctx: Ctx, ids: list[int]) -> dict[int, list[Risk]]:
    """The risks still open (or raised and not yet closed) of each request, in `seq` order: one
    query for a chunk of the Friday report, not one per request with a register."""
    out: dict[int, list[Risk]] = {i: [] for i in ids}
    if ids:
        for risk in await ctx.uow.all(select(Risk).where(col(Risk.request_id).in_(ids),
                                                         col(Risk.state).in_(sorted(LISTED)))
                                      .order_by(col(Risk.seq), col(Risk.id))):
            out[risk.request_id].append(risk)
    return out


async def _risk(ctx: Ctx, risk_id: int, *, doing: str) -> tuple[CollaborationRequest, Risk]:
    risk = await ctx.uow.lock(Risk, risk_id)
    if risk is None:
        raise UserError("error.unknown_risk", seq=risk_id)
    request = await open_request(ctx, request_id=risk.request_id, doing=doing)
    if ctx.actor is None or ctx.actor.id not in authz.may_manage_risk(ctx, request, risk.owner_id):
        raise Refused("refused.risk", owner=ctx.person_name(risk.owner_id))
    return request, risk


async def raise_risk(ctx: Ctx, request: CollaborationRequest, risk: Risk, *, why: str,
                     notice: Card | None = None, notify: Sequence[int] = ()) -> Issue:
    """The met trigger becomes an issue (R12) in the risk owner's name; the audit rows name who
    acted — the person who pressed 触发, or nobody (the bot) when a trigger fired by itself.
    `notice`: a built-in risk is new in the chat, so its card goes out once, carrying the rule's
    own notice (title, text, mentions) to the group and to `notify` — one message, not two."""
    draft = IssueDraft(description=ctx.t("risk.issue_desc", seq=risk.seq, desc=risk.description, why=why),
                       severity=max(risk.probability, risk.impact, key=("low", "medium", "high").index),
                       responsible=[ctx.dept_name(risk.department_id)], owner=ctx.person_name(risk.owner_id),
                       suggestion=risk.countermeasure)
    issue = await file_issue(ctx, request=request, draft=draft, raised_by=risk.owner_id)
    before, risk.state, risk.issue_id = risk.state, RISK.next(risk.state, "trigger"), issue.id
    key = keys.risk_card(risk.id)  # type: ignore[arg-type]
    await timers.cancel(ctx.uow, subject=key, kinds=[TRIGGER, ISSUE_DUE])
    audit.record(ctx, action="risk.trigger", subject=key, request_id=request.id, before=before, after=risk.state,
                 detail={"issue": issue.seq, "why": why, "rule": "R32"})
    card = risk_card(ctx, request, risk, footer=ctx.t("risk.footer.raised", seq=issue.seq))
    if notice is not None:
        card.title, card.text, card.mentions = notice.title, notice.text, notice.mentions
        outbox.announce(ctx, conversation=request.conversation, card=card, people=list(notify), card_key=key)
    else:
        outbox.show(ctx, conversation=request.conversation, card_key=key, card=card)
    return issue


async def trigger(ctx: Ctx, *, risk_id: int) -> Reply:
    """By hand: the condition happened (someone saw it)."""
    request, risk = await _risk(ctx, risk_id, doing="issue")
    if not RISK.can(risk.state, "trigger"):
        return Reply(ok=False, text=ctx.t("reply.risk_already", seq=risk.seq, state=ctx.t(f"risk_state.{risk.state}")))
    issue = await raise_risk(ctx, request, risk, why=ctx.t("risk.why.manual", who=ctx.actor.name))  # type: ignore[union-attr]
    return Reply(text=ctx.t("reply.risk_raised", number=request.number, seq=risk.seq, issue=issue.seq))


async def close(ctx: Ctx, *, risk_id: int) -> Reply:
    request, risk = await _risk(ctx, risk_id, doing="issue")
    if not RISK.can(risk.state, "close"):
        return Reply(ok=False, text=ctx.t("reply.risk_already", seq=risk.seq, state=ctx.t(f"risk_state.{risk.state}")))
    before, risk.state, risk.closed_at = risk.state, RISK.next(risk.state, "close"), ctx.now
    key = keys.risk_card(risk.id)  # type: ignore[arg-type]
    await timers.cancel(ctx.uow, subject=key, kinds=[TRIGGER, ISSUE_DUE])
    audit.record(ctx, action="risk.close", subject=key, request_id=request.id, before=before, after=risk.state)
    outbox.show(ctx, conversation=request.conversation, card_key=key, card=risk_card(
        ctx, request, risk, footer=ctx.t("risk.footer.closed", who=ctx.actor.name,  # type: ignore[union-attr]
                                         when=ctx.local_text(ctx.now))))
    return Reply(text=ctx.t("reply.risk_closed", number=request.number, seq=risk.seq))
