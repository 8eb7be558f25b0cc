"""What the risks domain answers (R32): `risk`/`风险` (with fields: add; without: the register),
the 触发 / 关闭 buttons on a risk card, and the timers of the triggers the bot watches."""
from __future__ import annotations

from workflows.events import Reply
from workflows.grammar import Command
from workflows.kernel.context import Ctx
from workflows.kernel.routes import Routes
from workflows.risks import service, triggers
from workflows.risks.service import RiskDraft


async def _risk(ctx: Ctx, c: Command) -> Reply:
    if not c.fields:
        return await service.register(ctx, number=c.ref)
    return await service.add(ctx, number=c.ref, draft=RiskDraft.of(c.fields))


ROUTES = Routes(
    commands={"risk": _risk},
    actions={
        "risk.trigger": lambda ctx, v: service.trigger(ctx, risk_id=v.id("rk")),
        "risk.close": lambda ctx, v: service.close(ctx, risk_id=v.id("rk")),
    },
    timers=triggers.TIMERS,
)
