"""A task's status (R9: 未开始 / 进行中 / 已完成 / 延期) and risk (高 / 中 / 低) as a pure table.
Timers (R9 overdue, R11 late), the owner's answers (R10) and the manual status command all pass
through `TASK.next`."""
from __future__ import annotations

from enum import StrEnum

from workflows.kernel.machine import Machine, from_every


class TaskStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DELAYED = "delayed"


T = TaskStatus
OPEN = frozenset({T.NOT_STARTED, T.IN_PROGRESS, T.DELAYED})

TASK = Machine("task", TaskStatus, {
    (T.NOT_STARTED, "start"): T.IN_PROGRESS,  # execution begins (R6) or a first daily post (R7)
    (T.DELAYED, "replan"): T.IN_PROGRESS,  # a plan change gave it a future date (R17)
    (T.DONE, "reopen"): T.IN_PROGRESS,
    (T.IN_PROGRESS, "reset"): T.NOT_STARTED,
    **from_every(OPEN, "finish", T.DONE),
    **from_every({T.NOT_STARTED, T.IN_PROGRESS}, "delay", T.DELAYED),  # R9: past due, not done
})


def action_to(current: str, target: str) -> str | None:
    """The action that takes a task from `current` to `target` (the manual status command)."""
    for (state, action), to in TASK.transitions.items():
        if state == current and to == target:
            return action
    return None


RISKS = ("low", "medium", "high")


def raised(current: str, to: str) -> str:
    """Risk only goes up by itself (R10 answers, R11): the higher of the two."""
    return max(current, to, key=RISKS.index)


class ItemState(StrEnum):
    """An action item's life (R31): open until its owner (or the task's side) marks it done."""

    OPEN = "open"
    DONE = "done"


ITEM = Machine("item", ItemState, {(ItemState.OPEN, "finish"): ItemState.DONE,
                                   (ItemState.DONE, "reopen"): ItemState.OPEN})
