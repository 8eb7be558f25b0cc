"""What the receipts domain answers (R28): `receive`/`接收`, the 确认接收 button, its timers."""
from __future__ import annotations

from workflows.kernel.routes import Routes
from workflows.receipts import service

ROUTES = Routes(
    commands={"receive": lambda ctx, c: service.receive(ctx, number=c.ref)},
    actions={"receipt.confirm": lambda ctx, v: service.receive(ctx, request_id=v.id("r"), dept_id=v.id("d"))},
    timers=service.TIMERS,
)
