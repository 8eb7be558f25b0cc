"""Action items (R31): a department breaks its task into smaller items, each with an owner and a
date. The owner is reminded on the morning the item is due and told (with the task's owner) the
next working morning if it is still open; items roll up into the task's progress (`items` list,
the R7 daily summary)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any, Mapping

from sqlmodel import col, select

from storage.tables import ActionItem, CollaborationRequest, Task, Timer
from workflows.cards import Card
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import next_seq, person_id, task_by_seq, tasks_of
from workflows.kernel.widgets import mentions
from workflows.requests.guard import open_request, timer_request
from workflows.requests.service import parse_day
from workflows.tasks.item_cards import groups, item_card, item_line, list_card, may_finish, rollup
from workflows.tasks.machine import ITEM, ItemState

DUE, OVERDUE = "item.due", "item.overdue"
REMIND_AT = time(9, 30)


@dataclass(frozen=True)
class ItemDraft:
    title: str
    owner: str = ""
    due: str = ""

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> "ItemDraft":
        get = lambda k: str(fields.get(k) or "").strip()  # noqa: E731
        return cls(title=get("item"), owner=get("owner"), due=get("due"))


def _schedule(ctx: Ctx, request: CollaborationRequest, item: ActionItem) -> None:
    key = keys.action_item_card(item.id)  # type: ignore[arg-type]
    cal = ctx.calendar
    timers.set_timer(ctx, kind=DUE, subject=key, request_id=request.id, item=item.id,
                     due_at=cal.at_local(item.due_date, REMIND_AT))
    timers.set_timer(ctx, kind=OVERDUE, subject=key, request_id=request.id, item=item.id,
                     due_at=cal.at_local(cal.add_working_days(item.due_date, 1), REMIND_AT))


async def add(ctx: Ctx, *, number: str | None, seq: int | None, draft: ItemDraft) -> Reply:
    """The task's owner or lead head adds an item (R31)."""
    request = await open_request(ctx, number=number, doing="task", lock=True)
    task = await task_by_seq(ctx, request, seq)
    if ctx.actor is None or ctx.actor.id not in authz.may_update_task(ctx, task):
        raise Refused("refused.task", task=task.title, owner=ctx.person_name(task.owner_id))
    if not draft.title:
        raise UserError("error.item_title", usage="action")
    if not draft.due:
        raise UserError("error.required", field="due", name=ctx.t("field.due"))
    due = parse_day(ctx, draft.due, field="due")
    if due < ctx.today:
        raise UserError("error.date_in_past", field="due", day=due.isoformat())
    owner = person_id(ctx, draft.owner, field="owner") if draft.owner else ctx.actor.id
    item = await create(ctx, request, task=task, meeting_id=None, title=draft.title, owner=owner, due=due)
    return Reply(text=ctx.t("reply.item_added", number=request.number, seq=item.seq, task=task.title))


async def create(ctx: Ctx, request: CollaborationRequest, *, task: Task | None, meeting_id: int | None,
                 title: str, owner: int, due: date) -> ActionItem:
    """One tracked item — typed under a task, or from a meeting's minutes (R29) — with its reminders."""
    actor = ctx.actor.id  # type: ignore[union-attr]
    item = ActionItem(request_id=request.id, task_id=task.id if task else None, meeting_id=meeting_id,  # type: ignore[arg-type]
                      seq=await next_seq(ctx, ActionItem, request.id), title=title[:100], owner_id=owner,
                      due_date=due, created_by=actor, created_at=ctx.now)
    ctx.uow.add(item)
    await ctx.uow.flush()
    _schedule(ctx, request, item)
    key = keys.action_item_card(item.id)  # type: ignore[arg-type]
    audit.record(ctx, action="item.add", subject=key, request_id=request.id, after=ItemState.OPEN,
                 detail={"task": task.seq if task else None, "meeting": meeting_id, "owner": ctx.person_name(owner),
                         "due": due.isoformat(), "rule": "R31"})
    outbox.post(ctx, conversation=request.conversation, card_key=key, card=item_card(ctx, request, task, item))
    if owner != actor:
        outbox.direct(ctx, person_id=owner, card=item_card(ctx, request, task, item))
    return item


async def items_of(ctx: Ctx, request_id: int) -> list[ActionItem]:
    return await ctx.uow.all(select(ActionItem).where(ActionItem.request_id == request_id)
                             .order_by(col(ActionItem.seq)))


async def show(ctx: Ctx, *, number: str | None) -> Reply:
    request = await open_request(ctx, number=number, doing="view")
    items = await items_of(ctx, request.id)
    return Reply(text=ctx.t("reply.items", number=request.number, count=len(items)),
                 card=list_card(ctx, request, await tasks_of(ctx, request.id), items))


async def finish(ctx: Ctx, *, item_id: int) -> Reply:
    item = await ctx.uow.lock(ActionItem, item_id)
    if item is None:
        raise UserError("error.unknown_item", seq=item_id)
    request = await open_request(ctx, request_id=item.request_id, doing="task")
    task = await ctx.uow.get(Task, item.task_id) if item.task_id else None
    if ctx.actor is None or ctx.actor.id not in may_finish(ctx, task, item):
        raise Refused("refused.item", owner=ctx.person_name(item.owner_id))
    if not ITEM.can(item.state, "finish"):
        return Reply(ok=False, text=ctx.t("reply.item_already", seq=item.seq))
    item.state, item.done_at = ITEM.next(item.state, "finish"), ctx.now
    key = keys.action_item_card(item.id)  # type: ignore[arg-type]
    await timers.cancel(ctx.uow, subject=key, kinds=[DUE, OVERDUE])
    audit.record(ctx, action="item.done", subject=key, request_id=request.id, before=ItemState.OPEN,
                 after=item.state)
    footer = ctx.t("item.footer.done", who=ctx.actor.name, when=ctx.local_text(ctx.now))
    outbox.show(ctx, conversation=request.conversation, card_key=key,
                card=item_card(ctx, request, task, item, footer=footer))  # type: ignore[arg-type]
    return Reply(text=ctx.t("reply.item_done", number=request.number, seq=item.seq))


async def _open_item(ctx: Ctx, timer: Timer) -> tuple[CollaborationRequest | None, ActionItem | None]:
    item = await ctx.uow.get(ActionItem, int(timer.payload["item"]))
    if item is None or item.state != ItemState.OPEN:
        return None, None
    request = await timer_request(ctx, timer, doing="task", request_id=item.request_id)
    return (request, item) if request is not None else (None, None)


async def _nudge(ctx: Ctx, timer: Timer, step: str) -> None:
    request, item = await _open_item(ctx, timer)
    if request is None or item is None:
        return
    task = await ctx.uow.get(Task, item.task_id) if item.task_id else None
    lead = task.owner_id if task else item.created_by
    people = list(dict.fromkeys([item.owner_id] + ([lead] if step == "overdue" else [])))
    card = Card(title=ctx.t(f"item.{step}.title", number=request.number, seq=item.seq, title=item.title),
                tone="warning" if step == "due" else "danger",
                text=item_line(ctx, item, today=ctx.today), mentions=mentions(ctx, people))
    outbox.announce(ctx, conversation=request.conversation, card=card, people=people)
    audit.record(ctx, action=f"item.{step}", subject=timer.subject, request_id=request.id, actor_id=None,
                 detail={"rule": "R31"})


async def due_today(ctx: Ctx, timer: Timer) -> None:
    await _nudge(ctx, timer, "due")


async def overdue(ctx: Ctx, timer: Timer) -> None:
    await _nudge(ctx, timer, "overdue")


def summary_lines(ctx: Ctx, *, tasks: list[Task], items: list[ActionItem], day: date) -> list[str]:
    """For the R7 17:00 summary: each task's roll-up and the items overdue or due tomorrow —
    from one request's tasks and items (`seq` order), which the tick reads a chunk at a time."""
    if not items:
        return []
    lines = [rollup(ctx, task, mine) for task, mine in groups(tasks, items)]
    soon = day + timedelta(days=1)
    lines += [f"• {item_line(ctx, i, today=day)}" for i in items
              if i.state == ItemState.OPEN and i.due_date <= soon]
    return lines


TIMERS = {DUE: due_today, OVERDUE: overdue}
