"""R29: the initiating side records the kick-off (time, place or link, attendees, first sync
date) — attendees are invited and reminded 30 minutes before; anyone involved posts minutes
(decisions; action items with owner and date), which go to every involved department's head and
become tracked action items (R31). `周会` minutes attach to this week's Friday meeting (R8), whose
agenda is the 14:30 weekly report."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any, Mapping

from sqlmodel import col, select

from storage.tables import ActionItem, CollaborationRequest, Meeting, Timer, WeeklyReport
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.grammar.vocabulary import names
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import next_seq, person_id, tasks_of
from workflows.meetings.cards import meeting_card, minutes_card
from workflows.requests.guard import open_request, timer_request
from workflows.requests.service import parse_moment
from workflows.requests.service import parse_day
from workflows.tasks import items

REMIND, FIRST_SYNC = "meeting.remind", "meeting.first_sync"
REMIND_BEFORE = timedelta(minutes=30)


@dataclass(frozen=True)
class KickoffDraft:
    when: str
    place: str = ""
    attendees: list[str] = field(default_factory=list)
    first_sync: str = ""

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> "KickoffDraft":
        get = lambda k: str(fields.get(k) or "").strip()  # noqa: E731
        return cls(when=get("time"), place=get("place"), attendees=names(fields.get("attendees")),
                   first_sync=get("first_sync"))


async def kickoff(ctx: Ctx, *, number: str | None, draft: KickoffDraft) -> Reply:
    request = await open_request(ctx, number=number, doing="meeting", lock=True)
    if ctx.actor is None or ctx.actor.id not in authz.may_manage(ctx, request):
        raise Refused("refused.manage", number=request.number)
    if not draft.when:
        raise UserError("error.required", field="time", name=ctx.t("field.meeting_time"))
    starts = parse_moment(ctx, draft.when, field="time")
    if starts <= ctx.now:
        raise UserError("error.date_in_past", field="time", day=ctx.local_text(starts))
    attendees = [person_id(ctx, who, field="attendees") for who in draft.attendees] or \
        authz.heads(ctx, [request.initiating_department_id, *request.collaborating])
    meeting = Meeting(request_id=request.id, seq=await next_seq(ctx, Meeting, request.id), kind="kickoff",
                      starts_at=starts, place=draft.place, attendees=list(dict.fromkeys(attendees)),
                      first_sync=parse_day(ctx, draft.first_sync, field="first_sync") if draft.first_sync else None,
                      created_by=ctx.actor.id, created_at=ctx.now)  # type: ignore[arg-type]
    ctx.uow.add(meeting)
    await ctx.uow.flush()
    key = keys.meeting_card(meeting.id)  # type: ignore[arg-type]
    card = meeting_card(ctx, request, meeting)
    outbox.announce(ctx, conversation=request.conversation, card=card, people=meeting.attendees, card_key=key)
    timers.set_timer(ctx, kind=REMIND, subject=key, request_id=request.id, meeting=meeting.id,
                     due_at=starts - REMIND_BEFORE)
    if meeting.first_sync:
        timers.set_timer(ctx, kind=FIRST_SYNC, subject=key, request_id=request.id, meeting=meeting.id,
                         due_at=ctx.calendar.at_local(meeting.first_sync, time(9, 0)))
    audit.record(ctx, action="meeting.kickoff", subject=key, request_id=request.id,
                 detail={"at": starts.isoformat(), "place": draft.place, "rule": "R29"})
    return Reply(text=ctx.t("reply.kickoff", number=request.number, when=ctx.local_text(starts)))


async def _weekly(ctx: Ctx, request: CollaborationRequest) -> tuple[Meeting, str]:
    """This week's Friday meeting (created on first minutes) and its agenda: the weekly report."""
    today = ctx.today
    friday = today + timedelta(days=(ctx.policy.weekly_report_weekday - today.weekday()))
    starts = ctx.calendar.at_local(friday, ctx.policy.weekly_meeting_at)
    meeting = await ctx.uow.first(select(Meeting).where(Meeting.request_id == request.id, Meeting.kind == "weekly",
                                                        Meeting.starts_at == starts))
    if meeting is None:
        meeting = Meeting(request_id=request.id, seq=await next_seq(ctx, Meeting, request.id), kind="weekly",
                          starts_at=starts, created_by=ctx.actor.id, created_at=ctx.now)  # type: ignore[union-attr]
        ctx.uow.add(meeting)
        await ctx.uow.flush()
    week_start = friday - timedelta(days=friday.weekday())
    report = await ctx.uow.first(select(WeeklyReport).where(WeeklyReport.request_id == request.id,
                                                            WeeklyReport.week_start == week_start))
    agenda = ctx.t("minutes.agenda", week=week_start.isoformat()) if report else ""
    return meeting, agenda


async def minutes(ctx: Ctx, *, number: str | None, seq: int | None, weekly: bool, decisions: list[str],
                  actions: list[tuple[str, str, str]]) -> Reply:
    request = await open_request(ctx, number=number, doing="meeting", lock=True)
    tasks = await tasks_of(ctx, request.id)
    involved = authz.involved_departments(request, tasks)
    if ctx.actor is None or (ctx.actor.department_id not in involved and ctx.actor.id != request.initiator_id):
        raise Refused("refused.minutes", number=request.number)
    if not decisions and not actions:
        raise UserError("error.minutes_empty", usage="minutes")
    agenda = ""
    if weekly:
        meeting, agenda = await _weekly(ctx, request)
    else:
        query = select(Meeting).where(Meeting.request_id == request.id, Meeting.kind == "kickoff")
        query = query.where(Meeting.seq == seq) if seq else query
        meeting = await ctx.uow.first(query.order_by(col(Meeting.seq).desc()))
        if meeting is None:
            raise UserError("error.no_meeting", number=request.number)
    parsed = [(title, person_id(ctx, owner, field="items"), parse_day(ctx, due, field="items"))
              for title, owner, due in actions]
    meeting.decisions = [*meeting.decisions, *decisions]
    meeting.minutes_by, meeting.minutes_at = ctx.actor.id, ctx.now
    for title, owner, due in parsed:
        await items.create(ctx, request, task=None, meeting_id=meeting.id, title=title, owner=owner, due=due)
    made = await ctx.uow.all(select(ActionItem).where(ActionItem.meeting_id == meeting.id)
                             .order_by(col(ActionItem.seq)))
    key = keys.meeting_card(meeting.id)  # type: ignore[arg-type]
    audit.record(ctx, action="meeting.minutes", subject=key, request_id=request.id,
                 detail={"kind": meeting.kind, "decisions": len(decisions), "items": len(parsed), "rule": "R29"})
    people = [*authz.heads(ctx, involved), *meeting.attendees]
    outbox.announce(ctx, conversation=request.conversation, people=[p for p in people if p != ctx.actor.id],
                    card=minutes_card(ctx, request, meeting, made, agenda=agenda))
    return Reply(text=ctx.t("reply.minutes", number=request.number, items=len(parsed)))


async def _meeting(ctx: Ctx, timer: Timer) -> tuple[CollaborationRequest | None, Meeting | None]:
    meeting = await ctx.uow.get(Meeting, int(timer.payload["meeting"]))
    request = await timer_request(ctx, timer, doing="meeting") if meeting else None
    return (request, meeting) if request is not None else (None, None)


async def remind(ctx: Ctx, timer: Timer) -> None:
    """30 minutes before the kick-off: the attendees, privately and in the group."""
    request, meeting = await _meeting(ctx, timer)
    if request is None or meeting is None:
        return
    card = meeting_card(ctx, request, meeting)
    card.title = ctx.t("meeting.remind.title", number=request.number, when=ctx.local_text(meeting.starts_at))
    outbox.announce(ctx, conversation=request.conversation, card=card, people=meeting.attendees)
    audit.record(ctx, action=REMIND, subject=timer.subject, request_id=request.id, actor_id=None)


async def first_sync(ctx: Ctx, timer: Timer) -> None:
    """The first sync date agreed at the kick-off: the group is told that morning."""
    request, meeting = await _meeting(ctx, timer)
    if request is None or meeting is None:
        return
    card = meeting_card(ctx, request, meeting)
    card.title = ctx.t("meeting.first_sync.title", number=request.number)
    outbox.post(ctx, conversation=request.conversation, card=card)
    audit.record(ctx, action=FIRST_SYNC, subject=timer.subject, request_id=request.id, actor_id=None)


TIMERS = {REMIND: remind, FIRST_SYNC: first_sync}
