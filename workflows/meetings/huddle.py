"""R36 问题碰头会: for an issue, a 15-minute huddle of the responsible and the affected heads at a
time within the next hour (default: in 15 minutes). The bot invites them, pings them when it
starts, and — if nobody has recorded its outcome 15 minutes later — asks the caller for it."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from storage.tables import CollaborationRequest, Issue, Meeting, Timer
from workflows.cards import Card, CardField
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.issues.cards import issue_ref
from workflows.issues.machine import UNRESOLVED, IssueState
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import issue_by_seq, next_seq
from workflows.kernel.widgets import mentions
from workflows.requests.service import parse_moment
from workflows.requests.guard import open_request, timer_request

START, OUTCOME = "huddle.start", "huddle.outcome"
LENGTH, WITHIN, DEFAULT_IN = timedelta(minutes=15), timedelta(hours=1), timedelta(minutes=15)


def _heads(ctx: Ctx, issue: Issue) -> list[int]:
    """The responsible department's head, the affected departments' heads, the issue's owner."""
    return list(dict.fromkeys([*authz.heads(ctx, [issue.responsible_department_id, *issue.departments]),
                               *([issue.owner_id] if issue.owner_id else [])]))


def huddle_card(ctx: Ctx, request: CollaborationRequest, issue: Issue, huddle: Meeting, *, title_key: str) -> Card:
    t = ctx.t
    fields = [CardField(t("field.meeting_time"), ctx.local_text(huddle.starts_at)),
              CardField(t("field.attendees"), "、".join(ctx.person_name(p) for p in huddle.attendees), short=False)]
    if issue.support:
        fields.append(CardField(t("field.support_needed"), issue.support, short=False))
    if huddle.decisions:
        fields.append(CardField(t("field.outcome"), "\n".join(huddle.decisions), short=False))
    return Card(title=t(title_key, ref=issue_ref(request, issue), when=ctx.local_text(huddle.starts_at)),
                tone="warning", text=issue.description, fields=fields, mentions=mentions(ctx, huddle.attendees))


async def _latest(ctx: Ctx, issue: Issue) -> Meeting | None:
    return await ctx.uow.first(select(Meeting).where(Meeting.issue_id == issue.id, Meeting.kind == "huddle")
                               .order_by(col(Meeting.id).desc()))


async def huddle(ctx: Ctx, *, number: str | None, seq: int | None, when: str, outcome: str) -> Reply:
    request = await open_request(ctx, number=number, doing="issue", lock=True)
    issue = await issue_by_seq(ctx, request, seq)
    allowed = [*authz.may_manage(ctx, request), *authz.may_acknowledge(ctx, issue), issue.raised_by, *_heads(ctx, issue)]
    if ctx.actor is None or ctx.actor.id not in allowed:
        raise Refused("refused.huddle", ref=issue_ref(request, issue))
    if outcome:
        return await _record(ctx, request, issue, outcome)
    if IssueState(issue.state) not in UNRESOLVED:
        raise UserError("error.huddle_resolved", ref=issue_ref(request, issue))
    starts = parse_moment(ctx, when, field="time") if when else ctx.now + DEFAULT_IN
    if not ctx.now < starts <= ctx.now + WITHIN:
        raise UserError("error.huddle_time", ref=issue_ref(request, issue))
    meeting = Meeting(request_id=request.id, seq=await next_seq(ctx, Meeting, request.id), kind="huddle",
                      issue_id=issue.id, starts_at=starts, attendees=_heads(ctx, issue), created_by=ctx.actor.id,
                      created_at=ctx.now)
    ctx.uow.add(meeting)
    await ctx.uow.flush()
    key = keys.meeting_card(meeting.id)  # type: ignore[arg-type]
    outbox.announce(ctx, conversation=request.conversation, people=meeting.attendees, card_key=key,
                    card=huddle_card(ctx, request, issue, meeting, title_key="huddle.title"))
    timers.set_timer(ctx, kind=START, subject=key, request_id=request.id, meeting=meeting.id, due_at=starts)
    timers.set_timer(ctx, kind=OUTCOME, subject=key, request_id=request.id, meeting=meeting.id,
                     due_at=starts + LENGTH)
    audit.record(ctx, action="huddle.call", subject=key, request_id=request.id,
                 detail={"issue": issue.seq, "at": starts.isoformat(), "rule": "R36"})
    return Reply(text=ctx.t("reply.huddle", ref=issue_ref(request, issue), when=ctx.local_text(starts)))


async def _record(ctx: Ctx, request: CollaborationRequest, issue: Issue, outcome: str) -> Reply:
    meeting = await _latest(ctx, issue)
    if meeting is None:
        raise UserError("error.no_huddle", ref=issue_ref(request, issue))
    meeting.decisions = [*meeting.decisions, outcome[:500]]
    meeting.minutes_by, meeting.minutes_at = ctx.actor.id, ctx.now  # type: ignore[union-attr]
    key = keys.meeting_card(meeting.id)  # type: ignore[arg-type]
    await timers.cancel(ctx.uow, subject=key, kinds=[OUTCOME])
    audit.record(ctx, action="huddle.outcome", subject=key, request_id=request.id, detail={"issue": issue.seq})
    outbox.announce(ctx, conversation=request.conversation, people=[p for p in meeting.attendees if p != ctx.actor.id],
                    card=huddle_card(ctx, request, issue, meeting, title_key="huddle.outcome.title"))
    return Reply(text=ctx.t("reply.huddle_outcome", ref=issue_ref(request, issue)))


async def _timer_huddle(ctx: Ctx, timer: Timer) -> tuple[CollaborationRequest | None, Issue | None, Meeting | None]:
    meeting = await ctx.uow.get(Meeting, int(timer.payload["meeting"]))
    request = await timer_request(ctx, timer, doing="issue") if meeting else None
    if request is None or meeting is None:
        return None, None, None
    return request, await ctx.uow.get(Issue, meeting.issue_id), meeting


async def starting(ctx: Ctx, timer: Timer) -> None:
    request, issue, meeting = await _timer_huddle(ctx, timer)
    if request is None or issue is None or meeting is None or meeting.decisions:
        return
    card = huddle_card(ctx, request, issue, meeting, title_key="huddle.start.title")
    outbox.post(ctx, conversation=request.conversation, card=card)
    for person in meeting.attendees:
        outbox.direct(ctx, person_id=person, card=card, escalation="head")
    audit.record(ctx, action=START, subject=timer.subject, request_id=request.id, actor_id=None)


async def ask_outcome(ctx: Ctx, timer: Timer) -> None:
    request, issue, meeting = await _timer_huddle(ctx, timer)
    if request is None or issue is None or meeting is None or meeting.decisions:
        return
    card = huddle_card(ctx, request, issue, meeting, title_key="huddle.ask.title")
    outbox.announce(ctx, conversation=request.conversation, card=card, people=[meeting.created_by])
    audit.record(ctx, action=OUTCOME, subject=timer.subject, request_id=request.id, actor_id=None)


TIMERS = {START: starting, OUTCOME: ask_outcome}
