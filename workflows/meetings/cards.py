"""Meeting invitations and minutes (R29) — pure rendering."""
from __future__ import annotations

from storage.tables import ActionItem, CollaborationRequest, Meeting
from workflows.cards import Card, CardField
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import day_text, mentions


def meeting_card(ctx: Ctx, request: CollaborationRequest, meeting: Meeting) -> Card:
    t = ctx.t
    fields = [CardField(t("field.meeting_time"), ctx.local_text(meeting.starts_at)),
              CardField(t("field.place"), meeting.place or "—"),
              CardField(t("field.attendees"), "、".join(ctx.person_name(p) for p in meeting.attendees) or "—",
                        short=False)]
    if meeting.first_sync:
        fields.append(CardField(t("field.first_sync"), day_text(meeting.first_sync)))
    return Card(title=t(f"meeting.{meeting.kind}.title", number=request.number, title=request.title), tone="info",
                fields=fields, mentions=mentions(ctx, meeting.attendees))


def minutes_card(ctx: Ctx, request: CollaborationRequest, meeting: Meeting, items: list[ActionItem], *,
                 agenda: str = "") -> Card:
    t = ctx.t
    decisions = "\n".join(f"• {d}" for d in meeting.decisions) or "—"
    actions = "\n".join(t("item.line", seq=i.seq, title=i.title, owner=ctx.person_name(i.owner_id),
                          due=i.due_date.isoformat(), state=t(f"item_state.{i.state}")) for i in items) or "—"
    fields = [CardField(t("field.decisions"), decisions, short=False),
              CardField(t("field.action_items"), actions, short=False)]
    if agenda:
        fields.insert(0, CardField(t("field.agenda"), agenda, short=False))
    return Card(title=t(f"minutes.{meeting.kind}.title", number=request.number,
                        day=ctx.calendar.local_date(meeting.starts_at).isoformat() if meeting.starts_at else ""),
                tone="info", fields=fields, footer=t("minutes.footer", who=ctx.person_name(meeting.minutes_by),
                                                     when=ctx.local_text(meeting.minutes_at)),
                mentions=mentions(ctx, [i.owner_id for i in items]))
