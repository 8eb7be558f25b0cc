"""Filing and reviewing requests (R1–R4) and cancelling them."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import select

from storage import counters
from storage.tables import CollaborationRequest
from workflows import audit, authz, outbox, timers
from workflows.context import Ctx
from workflows.dates import DateParseError, parse_date
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.repo import dept_ids, person_id, request_by_id, request_by_number
from workflows.states import next_state
from workflows.views.request import request_card, request_key
from workflows.views.tasks import assign_prompt_card


def vague_words(ctx: Ctx, *texts: str) -> list[str]:
    """R3: the vague words found, so the initiator is asked for a measurable standard or date."""
    found = []
    for word in ctx.policy.vague_words:
        if any(word.lower() in (text or "").lower() for text in texts) and word not in found:
            found.append(word)
    return found


def parse_day(ctx: Ctx, text: str, *, field: str) -> date:
    try:
        return parse_date(str(text), today=ctx.today)
    except DateParseError:
        raise UserError("error.bad_date", field=field, text=text) from None


async def _number(ctx: Ctx) -> str:
    """R2: the workspace's next number from its counter (O(1), distinct under concurrency); a
    number already taken (rows from before the counter, a changed pattern) is skipped."""
    ws = ctx.workspace.id

    async def used() -> int:  # only when the counter is created
        return len(await ctx.uow.all(select(CollaborationRequest.number).where(
            CollaborationRequest.workspace_id == ws)))

    while True:
        seq = await counters.next_value(ctx.uow, workspace_id=ws, name="request", seed=used)
        candidate = ctx.policy.number_pattern.format(year=ctx.today.year, seq=seq)
        if await ctx.uow.first(select(CollaborationRequest.id).where(
                CollaborationRequest.workspace_id == ws, CollaborationRequest.number == candidate)) is None:
            return candidate


async def file_request(ctx: Ctx, *, fields: dict[str, Any]) -> Reply:
    """R1–R3: validate everything first, so a refusal writes nothing."""
    t, actor = ctx.t, ctx.actor
    title = str(fields.get("title") or "").strip()
    goal = str(fields.get("goal") or "").strip()
    if not title:
        raise UserError("error.required", field="title", name=t("field.title"))
    if len(title) > ctx.policy.title_max:
        raise UserError("error.title_too_long", field="title", limit=ctx.policy.title_max, length=len(title))
    if len(goal) > ctx.policy.goal_max:
        raise UserError("error.goal_too_long", field="goal", limit=ctx.policy.goal_max, length=len(goal))
    if actor is None or actor.department_id is None:
        raise UserError("error.no_department")
    names = fields.get("depts") or []
    collaborating = [d for d in dept_ids(ctx, list(names), field="depts") if d != actor.department_id]
    if not collaborating:
        raise UserError("error.required", field="depts", name=t("field.collaborating"))
    if not fields.get("due"):
        raise UserError("error.required", field="due", name=t("field.due"))
    due = parse_day(ctx, fields["due"], field="due")
    if due < ctx.today:
        raise UserError("error.date_in_past", field="due", day=due.isoformat())
    milestones = [{"name": name, "date": parse_day(ctx, when, field="milestones").isoformat()}
                  for name, when in fields.get("milestones") or []]
    content = {str(dept_ids(ctx, [name], field="content")[0]): text
               for name, text in (fields.get("content") or {}).items()}
    contacts = {str(dept_ids(ctx, [name], field="contacts")[0]): person_id(ctx, who, field="contacts")
                for name, who in (fields.get("contacts") or {}).items()}
    for d in collaborating:
        liaison = ctx.dept(d).liaison_id  # type: ignore[union-attr]
        if str(d) not in contacts and liaison:
            contacts[str(d)] = liaison
    standard = str(fields.get("standard") or "").strip()
    vague = vague_words(ctx, standard, goal, str(fields.get("due") or ""),
                        *content.values(), *(str(m[1]) for m in fields.get("milestones") or []))

    request = CollaborationRequest(
        workspace_id=ctx.workspace.id, number=await _number(ctx), title=title,
        goal=goal, initiating_department_id=actor.department_id, initiator_id=actor.id,
        conversation=ctx.conversation, collaborating=collaborating, content=content,
        standard=standard, milestones=milestones, contacts=contacts, due_date=due,
        state="submitted", created_at=ctx.now, updated_at=ctx.now)
    ctx.uow.add(request)
    await ctx.uow.flush()
    audit.record(ctx, action="request.file", subject=request_key(request), request_id=request.id,
                 after="submitted", detail={"number": request.number, "title": title})
    warnings = [t("warning.vague", words="、".join(vague))] if vague else []
    outbox.post(ctx, conversation=request.conversation, card_key=request_key(request),
                card=request_card(ctx, request, warnings=warnings))
    text = t("reply.filed", number=request.number)
    return Reply(text="\n".join([text, *warnings]))


async def review(ctx: Ctx, *, request_id: int, approve: bool, reason: str = "") -> Reply:
    """R4: the initiating department's head approves or rejects before anyone else is engaged."""
    request = await request_by_id(ctx, request_id, lock=True)
    if ctx.actor is None or ctx.actor.id not in authz.may_review(ctx, request):
        raise Refused("refused.review", dept=ctx.dept_name(request.initiating_department_id))
    before = request.state
    if before != "submitted":
        return Reply(text=ctx.t("reply.already_reviewed", number=request.number,
                                state=ctx.t(f"state.{before}")), ok=False)
    request.state = next_state(before, "approve" if approve else "reject")
    request.reason = reason
    request.updated_at = ctx.now
    audit.record(ctx, action="request.approve" if approve else "request.reject",
                 subject=request_key(request), request_id=request.id, before=before,
                 after=request.state, detail={"reason": reason} if reason else None)
    footer = ctx.t("footer.reviewed", who=ctx.actor.name, when=ctx.local_text(ctx.now),
                   state=ctx.t(f"state.{request.state}"))
    outbox.show(ctx, conversation=request.conversation, card_key=request_key(request),
                card=request_card(ctx, request, footer=footer))
    if approve:
        outbox.post(ctx, conversation=request.conversation, card=assign_prompt_card(ctx, request))
    return Reply(text=ctx.t("reply.approved" if approve else "reply.rejected", number=request.number))


async def cancel(ctx: Ctx, *, number: str | None, reason: str) -> Reply:
    """Any state before archived → cancelled, by the initiator (or the initiating head), with a reason."""
    request = await request_by_number(ctx, number, lock=True)
    if ctx.actor is None or ctx.actor.id not in authz.may_manage(ctx, request):
        raise Refused("refused.manage", number=request.number)
    if not reason.strip():
        raise UserError("error.cancel_reason", usage="cancel")
    before = request.state
    request.state = next_state(before, "cancel")
    request.reason, request.updated_at = reason.strip(), ctx.now
    await timers.cancel(ctx.uow, request_id=request.id)
    audit.record(ctx, action="request.cancel", subject=request_key(request), request_id=request.id,
                 before=before, after="cancelled", detail={"reason": reason.strip()})
    outbox.show(ctx, conversation=request.conversation, card_key=request_key(request),
                card=request_card(ctx, request))
    return Reply(text=ctx.t("reply.cancelled", number=request.number))

