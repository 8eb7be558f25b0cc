"""Action item cards and roll-ups (R31) — pure rendering."""
from __future__ import annotations

from datetime import date

from storage.tables import ActionItem, CollaborationRequest, Task
from workflows.cards import Card, CardField
from workflows.kernel import authz, keys
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import button, mention
from workflows.tasks.machine import ITEM, ItemState


def may_finish(ctx: Ctx, task: Task, item: ActionItem) -> list[int]:
    """The item's owner, or whoever may update its task (owner, lead head)."""
    return list(dict.fromkeys([item.owner_id, *authz.may_update_task(ctx, task)]))


def item_line(ctx: Ctx, item: ActionItem, *, today: date) -> str:
    late = item.state == ItemState.OPEN and item.due_date < today
    return ctx.t("item.line", seq=item.seq, title=item.title, owner=ctx.person_name(item.owner_id),
                 due=item.due_date.isoformat(), state=ctx.t("item_state.late" if late else f"item_state.{item.state}"))


def rollup(ctx: Ctx, task: Task, items: list[ActionItem]) -> str:
    """`1. 页面开发：行动项 1/3 完成` — the task's progress as its items say."""
    done = sum(1 for i in items if i.state == ItemState.DONE)
    return ctx.t("item.rollup", seq=task.seq, task=task.title, done=done, total=len(items))


def item_card(ctx: Ctx, request: CollaborationRequest, task: Task, item: ActionItem, *, footer: str = "") -> Card:
    t, key = ctx.t, keys.action_item_card(item.id)  # type: ignore[arg-type]
    buttons = [button(ctx, "item.done", "button.item_done", key=key, allowed=may_finish(ctx, task, item),
                      style="primary", ai=item.id)] if ITEM.can(item.state, "finish") else []
    return Card(title=t("item.title", number=request.number, seq=item.seq, title=item.title),
                tone="success" if item.state == ItemState.DONE else "info",
                fields=[CardField(t("field.task"), f"{task.seq}. {task.title}"),
                        CardField(t("field.owner"), ctx.person_name(item.owner_id)),
                        CardField(t("field.due"), item.due_date.isoformat()),
                        CardField(t("field.state"), t(f"item_state.{item.state}"))],
                buttons=buttons, footer=footer, mentions=mention(ctx, item.owner_id))


def list_card(ctx: Ctx, request: CollaborationRequest, tasks: list[Task], items: list[ActionItem]) -> Card:
    lines: list[str] = []
    for task in tasks:
        mine = [i for i in items if i.task_id == task.id]
        if mine:
            lines.append(rollup(ctx, task, mine))
            lines += [f"  • {item_line(ctx, i, today=ctx.today)}" for i in mine]
    return Card(title=ctx.t("item.list.title", number=request.number), tone="info",
                text="\n".join(lines) or ctx.t("item.none"))
