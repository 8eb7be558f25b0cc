"""Filing and reviewing requests (R1–R4), cancelling them, listing and showing them."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Mapping

from sqlmodel import select

from storage import counters
from storage.tables import CollaborationRequest
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.grammar.dates import DateParseError, parse_date, parse_datetime
from workflows.grammar.vocabulary import names
from workflows.requests.smart import measurable
from workflows.kernel import audit, authz, keys, outbox
from workflows.kernel import timers
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import dept_ids, person_id
from workflows.cards import Card
from workflows.kernel.widgets import reason_form
from workflows.receipts.service import open_receipt
from workflows.requests.cards import assign_prompt_card, request_card
from workflows.requests import listing
from workflows.requests.deadlines import REVIEW_REMIND, schedule_review_reminder
from workflows.requests.guard import open_request
from workflows.requests.machine import REQUEST


@dataclass(frozen=True)
class RequestDraft:
    """R1's fields as the grammar parsed them (typed command or form alike)."""

    title: str = ""
    goal: str = ""
    depts: list[str] = field(default_factory=list)
    due: str = ""
    standard: str = ""
    milestones: list[tuple[str, str]] = field(default_factory=list)
    content: dict[str, str] = field(default_factory=dict)
    contacts: dict[str, str] = field(default_factory=dict)
    scope_in: str = ""  # R34
    scope_out: str = ""

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> "RequestDraft":
        return cls(title=str(fields.get("title") or "").strip(), goal=str(fields.get("goal") or "").strip(),
                   depts=names(fields.get("depts")), due=str(fields.get("due") or "").strip(),
                   standard=str(fields.get("standard") or "").strip(),
                   milestones=list(fields.get("milestones") or []), content=dict(fields.get("content") or {}),
                   contacts=dict(fields.get("contacts") or {}),
                   scope_in=str(fields.get("in_scope") or "").strip(),
                   scope_out=str(fields.get("out_scope") or "").strip())


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


_CONTACT = re.compile(r"^\s*([^\s(（/]+)[\s(（/]+(.+?)[)）]?\s*$")


def _contact(ctx: Ctx, dept: str, text: str) -> dict[str, Any]:
    """R1 接口人 with 联系方式: `李强 分机8021`, `李强（8021）`, `李强/@liqiang`."""
    m = _CONTACT.match(text)
    if m is None:
        raise UserError("error.contact_way", field="contacts", dept=dept, who=text.strip())
    return {"person": person_id(ctx, m.group(1), field="contacts"), "way": m.group(2).strip()}


def parse_moment(ctx: Ctx, text: str, *, field: str) -> datetime:
    """A typed date and time (`明天 10:00`, `8/15 17:00`) in the workspace's zone, as aware UTC."""
    try:
        local = parse_datetime(text, now_local=ctx.calendar.local(ctx.now).replace(tzinfo=None))
    except DateParseError:
        raise UserError("error.bad_date", field=field, text=text) from None
    return ctx.calendar.at_local(local.date(), local.time())


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


async def file_request(ctx: Ctx, *, draft: RequestDraft) -> Reply:
    """R1–R3: validate everything first, so a refusal writes nothing."""
    t, actor = ctx.t, ctx.actor
    title, goal = draft.title, draft.goal
    if not title:
        raise UserError("error.required", field="title", name=t("field.title"))
    if len(title) > ctx.policy.title_max:
        raise UserError("error.title_too_long", field="title", limit=ctx.policy.title_max, length=len(title))
    if len(goal) > ctx.policy.goal_max:
        raise UserError("error.goal_too_long", field="goal", limit=ctx.policy.goal_max, length=len(goal))
    if actor is None or actor.department_id is None:
        raise UserError("error.no_department")
    collaborating = [d for d in dept_ids(ctx, draft.depts, field="depts") if d != actor.department_id]
    if not collaborating:
        raise UserError("error.required", field="depts", name=t("field.collaborating"))
    if not draft.due:
        raise UserError("error.required", field="due", name=t("field.due"))
    if not draft.standard:  # R1: typed as in the form — what "done" means is agreed up front
        raise UserError("error.required", field="standard", name=t("field.standard"))
    due = parse_day(ctx, draft.due, field="due")
    if due < ctx.today:
        raise UserError("error.date_in_past", field="due", day=due.isoformat())
    milestones = [{"name": name, "date": parse_day(ctx, when, field="milestones")} for name, when in draft.milestones]
    for m in milestones:
        if m["date"] < ctx.today:
            raise UserError("error.milestone_in_past", field="milestones", name=m["name"], day=m["date"].isoformat())
    milestones = [{"name": m["name"], "date": m["date"].isoformat()} for m in milestones]
    content = {str(dept_ids(ctx, [name], field="content")[0]): text for name, text in draft.content.items()}
    contacts = {str(dept_ids(ctx, [name], field="contacts")[0]): _contact(ctx, name, who)
                for name, who in draft.contacts.items()}
    for d in [actor.department_id, *collaborating]:  # each side's 接口人 by default: its liaison
        liaison = ctx.person(ctx.dept(d).liaison_id)  # type: ignore[union-attr]
        if str(d) not in contacts and liaison:
            contacts[str(d)] = {"person": liaison.id, "way": liaison.email or ""}
    vague = vague_words(ctx, draft.standard, goal, draft.due, *content.values(),
                        *(str(m[1]) for m in draft.milestones))

    request = CollaborationRequest(
        workspace_id=ctx.workspace.id, number=await _number(ctx), title=title,
        goal=goal, initiating_department_id=actor.department_id, initiator_id=actor.id,
        conversation=ctx.conversation, collaborating=collaborating, content=content,
        scope_in=draft.scope_in, scope_out=draft.scope_out,
        standard=draft.standard, milestones=milestones, contacts=contacts, due_date=due,
        state="submitted", created_at=ctx.now, updated_at=ctx.now)
    ctx.uow.add(request)
    await ctx.uow.flush()
    audit.record(ctx, action="request.file", subject=keys.request_card(request.id), request_id=request.id,
                 after="submitted", detail={"number": request.number, "title": title})
    schedule_review_reminder(ctx, request_id=request.id, after=timedelta(hours=ctx.policy.confirm_remind_hours))
    warnings = [t("warning.vague", words=ctx.join(vague))] if vague else []
    if goal and not measurable(goal):
        warnings.append(t("warning.smart"))  # R34: a soft warning, like R3's
    outbox.post(ctx, conversation=request.conversation, card_key=keys.request_card(request.id),
                card=request_card(ctx, request, warnings=warnings))
    text = t("reply.filed", number=request.number)
    return Reply(text="\n".join([text, *warnings]))


async def review(ctx: Ctx, *, request_id: int, approve: bool, reason: str | None = None) -> Reply:
    """R4: the initiating department's head approves or rejects before anyone else is engaged; a
    rejection without its reason (`None`: the button) asks for one first."""
    request = await open_request(ctx, request_id=request_id, doing="view", lock=True)
    if ctx.actor is None or ctx.actor.id not in authz.may_review(ctx, request):
        raise Refused("refused.review", dept=ctx.dept_name(request.initiating_department_id))
    before = request.state
    if not REQUEST.can(before, "approve"):
        return Reply(text=ctx.t("reply.already_reviewed", number=request.number,
                                state=ctx.t(f"state.{before}")), ok=False)
    if not approve and reason is None:
        return Reply(form=reason_form(ctx, form_id="request.reject", value={"r": request.id},
                                      title=ctx.t("form.reject_request.title", number=request.number)))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise UserError("error.reason_required", field="reason")
    after = REQUEST.next(before, "approve" if approve else "reject")
    # before the request changes: its state, reason and time then go in one UPDATE
    await timers.cancel(ctx.uow, subject=keys.request_card(request.id), kinds=[REVIEW_REMIND])
    request.state, request.reason, request.updated_at = after, reason, ctx.now
    audit.record(ctx, action="request.approve" if approve else "request.reject",
                 subject=keys.request_card(request.id), request_id=request.id, before=before,
                 after=request.state, detail={"reason": reason} if reason else None)
    footer = ctx.t("footer.reviewed", who=ctx.actor.name, when=ctx.local_text(ctx.now),
                   state=ctx.t(f"state.{request.state}"))
    outbox.show(ctx, conversation=request.conversation, card_key=keys.request_card(request.id),
                card=request_card(ctx, request, footer=footer))
    if approve:
        open_receipt(ctx, request)  # R28
        outbox.post(ctx, conversation=request.conversation, card_key=keys.assign_prompt(request.id),
                    card=assign_prompt_card(ctx, request))
    else:  # the initiator must know why, and can file again
        outbox.direct(ctx, person_id=request.initiator_id, card=Card(
            title=ctx.t("rejected.title", number=request.number), tone="danger",
            text=ctx.t("rejected.text", who=ctx.actor.name, title=request.title, reason=reason)))
    return Reply(text=ctx.t("reply.approved" if approve else "reply.rejected", number=request.number))


async def cancel(ctx: Ctx, *, number: str | None, reason: str) -> Reply:
    """Any state before closing → cancelled, by the initiator (or the initiating head), with a reason."""
    request = await open_request(ctx, number=number, doing="cancel", lock=True)
    if ctx.actor is None or ctx.actor.id not in authz.may_manage(ctx, request):
        raise Refused("refused.manage", number=request.number)
    if not reason.strip():
        raise UserError("error.cancel_reason", usage="cancel")
    before = request.state
    request.state = REQUEST.next(before, "cancel")
    request.reason, request.updated_at = reason.strip(), ctx.now
    await timers.cancel(ctx.uow, request_id=request.id)
    audit.record(ctx, action="request.cancel", subject=keys.request_card(request.id), request_id=request.id,
                 before=before, after="cancelled", detail={"reason": reason.strip()})
    outbox.show(ctx, conversation=request.conversation, card_key=keys.request_card(request.id),
                card=request_card(ctx, request))
    return Reply(text=ctx.t("reply.cancelled", number=request.number))


async def list_requests(ctx: Ctx, *, everywhere: bool, page: int = 1) -> Reply:
    """One page of this chat's requests (or the workspace's): never a 2,000-line reply."""
    found = await listing.fetch_page(ctx.uow, workspace_id=ctx.workspace.id, conversation=ctx.conversation,
                                     page=page, all_chats=everywhere)
    return Reply(text=listing.render_page(found, t=ctx.t, dept_name=ctx.dept_name))


async def show(ctx: Ctx, *, number: str | None) -> Reply:
    request = await open_request(ctx, number=number, doing="view")
    return Reply(text=ctx.t("reply.shown", number=request.number), card=request_card(ctx, request))
