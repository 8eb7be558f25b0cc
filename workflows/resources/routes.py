"""What the resources domain answers (R33): `resources`/`资源` (with fields: this department's
need, or with `可用` what it has available; without: the roll-up), and the submit / VP buttons."""
from __future__ import annotations

from workflows.events import Reply
from workflows.grammar import Command
from workflows.kernel.context import Ctx
from workflows.kernel.routes import Routes
from workflows.resources import service
from workflows.resources.service import ResourceDraft


async def _resources(ctx: Ctx, c: Command) -> Reply:
    if not c.fields:
        return await service.show(ctx, number=c.ref)
    return await service.declare(ctx, number=c.ref, available="available" in c.words, draft=ResourceDraft.of(c.fields))


ROUTES = Routes(
    commands={"resources": _resources},
    actions={
        "resources.submit": lambda ctx, v: service.submit(ctx, request_id=v.id("r")),
        "resources.approve": lambda ctx, v: service.decide(ctx, request_id=v.id("r"), approve=True),
        "resources.reject": lambda ctx, v: service.decide(ctx, request_id=v.id("r"), approve=False),
    },
)
