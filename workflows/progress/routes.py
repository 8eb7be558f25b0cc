"""What the progress domain answers: `daily`/`日报`, `board`/`看板`, and the R7/R8 rhythm jobs."""
from __future__ import annotations

from workflows.kernel.routes import Routes
from workflows.progress import rhythms, service

ROUTES = Routes(
    commands={
        "daily": lambda ctx, c: service.post_daily(
            ctx, number=c.ref, seq=c.sub, today=str(c.fields.get("today") or c.text or ""),
            tomorrow=str(c.fields.get("tomorrow") or ""), risk_note=str(c.fields.get("risk") or "")),
        "board": lambda ctx, c: service.board(ctx, number=c.ref),
    },
    jobs=rhythms.JOBS,
)
