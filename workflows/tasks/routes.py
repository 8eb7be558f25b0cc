"""What the tasks domain answers: `assign`/`分工` and `status`/`状态`, the sign-off and
risk-check buttons, the split form, and its deadlines."""
from __future__ import annotations

from workflows.grammar.vocabulary import TASK_STATUSES
from workflows.kernel.routes import Routes
from workflows.events import Reply
from workflows.grammar import Command
from workflows.kernel.context import Ctx
from workflows.tasks import items, service
from workflows.tasks.deadlines import TIMERS


def _answer(answer: str):
    return lambda ctx, v: service.answer_risk_check(ctx, task_id=v.id("t"), answer=answer)


async def _action(ctx: Ctx, c: Command) -> Reply:
    """R31: with fields a new action item under task #N; without, every item and its roll-up."""
    if not c.fields:
        return await items.show(ctx, number=c.ref)
    return await items.add(ctx, number=c.ref, seq=c.sub, draft=items.ItemDraft.of(c.fields))


ROUTES = Routes(
    commands={
        "assign": lambda ctx, c: service.assign(ctx, number=c.ref, specs=c.tasks),
        "status": lambda ctx, c: service.update_status(  # the grammar read 高/中/低 already
            ctx, number=c.ref, seq=c.sub, status=next((w for w in c.words if w in TASK_STATUSES), None),
            risk=c.fields.get("risk")),
        "action": _action,
    },
    actions={
        "raci.open": lambda ctx, v: service.open_form(ctx, request_id=v.id("r")),
        "task.confirm": lambda ctx, v: service.confirm(ctx, request_id=v.id("r"), dept_id=v.id("d")),
        "task.on_track": _answer("on_track"),
        "task.at_risk": _answer("at_risk"),
        "task.will_be_late": _answer("will_be_late"),
        "item.done": lambda ctx, v: items.finish(ctx, item_id=v.id("ai")),
    },
    forms={"request.assign": lambda ctx, f, v: service.assign(ctx, request_id=v.id("r"), specs=[f])},
    timers={**TIMERS, **items.TIMERS},
)
