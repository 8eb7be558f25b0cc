"""Action item cards and roll-ups (R31) — pure rendering."""
from __future__ import annotations

from datetime import date

from storage.tables import ActionItem, CollaborationRequest, Task
from workflows.cards import Card, CardField
from workflows.kernel import authz, keys
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import button, mention
from workflows.tasks.machine import ITEM, ItemState


def may_finish(ctx: Ctx, task: Task | None, item: ActionItem) -> list[int]:
    """The item's owner, or whoever may update its task (owner, lead head) — for an item from
    minutes (R29), whoever wrote them."""
    side = authz.may_update_task(ctx, task) if task else [item.created_by]
    return list(dict.fromkeys([item.owner_id, *side]))


def item_line(ctx: Ctx, item: ActionItem, *, today: date) -> str:
    late = item.state == ItemState.OPEN and item.due_date < today
    return ctx.t("item.line", seq=item.seq, title=item.title, owner=ctx.person_name(item.owner_id),
                 due=item.due_date.isoformat(), state=ctx.t("item_state.late" if late else f"item_state.{item.state}"))


def rollup(ctx: Ctx, task: Task | None, items: list[ActionItem]) -> str:
    """`1. 页面开发：行动项 1/3 完成` — the task's progress as its items say (or the minutes')."""
    done = sum(1 for i in items if i.state == ItemState.DONE)
    if task is None:
        return ctx.t("item.rollup_minutes", done=done, total=len(items))
    return ctx.t("item.rollup", seq=task.seq, task=task.title, done=done, total=len(items))


def groups(tasks: list[Task], items: list[ActionItem]) -> list[tuple[Task | None, list[ActionItem]]]:
    """Items by task, in task order; the minutes' items (no task) last."""
    out: list[tuple[Task | None, list[ActionItem]]] = [(t, [i for i in items if i.task_id == t.id]) for t in tasks]
    out.append((None, [i for i in items if i.task_id is None]))
    return [(t, mine) for t, mine in out if mine]


def item_card(ctx: Ctx, request: CollaborationRequest, task: Task | None, item: ActionItem, *,
              footer: str = "") -> Card:
    t, key = ctx.t, keys.action_item_card(item.id)  # type: ignore[arg-type]
    buttons = [button(ctx, "item.done", "button.item_done", key=key, allowed=may_finish(ctx, task, item),
                      style="primary", ai=item.id)] if ITEM.can(item.state, "finish") else []
    return Card(title=t("item.title", number=request.number, seq=item.seq, title=item.title),
                tone="success" if item.state == ItemState.DONE else "info",
                fields=[CardField(t("field.task"), f"{task.seq}. {task.title}" if task else t("item.from_minutes")),
                        CardField(t("field.owner"), ctx.person_name(item.owner_id)),
                        CardField(t("field.due"), item.due_date.isoformat()),
                        CardField(t("field.state"), t(f"item_state.{item.state}"))],
                buttons=buttons, footer=footer, mentions=mention(ctx, item.owner_id))


def list_card(ctx: Ctx, request: CollaborationRequest, tasks: list[Task], items: list[ActionItem]) -> Card:
    lines: list[str] = []
    for task, mine in groups(tasks, items):
        lines.append(rollup(ctx, task, mine))
        lines += [f"  • {item_line(ctx, i, today=ctx.today)}" for i in mine]
    return Card(title=ctx.t("item.list.title", number=request.number), tone="info",
                text="\n".join(lines) or ctx.t("item.none"))
