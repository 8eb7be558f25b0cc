"""What the progress domain answers: `daily`/`日报`, `board`/`看板`, and the R7/R8 rhythm jobs."""
from __future__ import annotations

from workflows.board.service import board_link
from workflows.events import Reply
from workflows.grammar import Command
from workflows.kernel.context import Ctx
from workflows.kernel.routes import Routes
from workflows.progress import rhythms, service

async def _board(ctx: Ctx, c: Command) -> Reply:
    """A personal link to the web board where one is served (R37), else the board card."""
    if ctx.links is not None:
        return board_link(ctx, base_url=ctx.links.base_url, secret=ctx.links.secret, ttl=ctx.links.ttl,
                          number=c.ref or "")
    return await service.board(ctx, number=c.ref)


ROUTES = Routes(
    commands={
        "daily": lambda ctx, c: service.post_daily(
            ctx, number=c.ref, seq=c.sub, today=str(c.fields.get("today") or c.text or ""),
            tomorrow=str(c.fields.get("tomorrow") or ""), risk_note=str(c.fields.get("risk") or "")),
        "board": _board,
    },
    jobs=rhythms.JOBS,
)
