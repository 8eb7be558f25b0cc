"""What the memo domain answers (R30): `memo`/`备忘录` (show it; with `违约处理:` rewrite the
clause), the 签署 button, and the reminder."""
from __future__ import annotations

from workflows.kernel.routes import Routes
from workflows.memo import service

ROUTES = Routes(
    commands={"memo": lambda ctx, c: service.set_clause(ctx, number=c.ref, clause=str(c.fields.get("clause") or "").strip())},
    actions={"memo.sign": lambda ctx, v: service.sign_memo(ctx, request_id=v.id("r"), dept_id=v.id("d"))},
    timers=service.TIMERS,
)
