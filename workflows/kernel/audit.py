"""R24: every state change leaves an append-only row saying who, what, when."""
from __future__ import annotations

from typing import Any

from storage.tables import AuditEvent
from workflows.kernel.context import Ctx


def record(ctx: Ctx, *, action: str, subject: str, request_id: int | None = None,
           before: str = "", after: str = "", detail: dict[str, Any] | None = None,
           actor_id: int | None | bool = True) -> None:
    """`actor_id=True` means the person acting in this event; None means the bot (a timer)."""
    who = (ctx.actor.id if ctx.actor else None) if actor_id is True else actor_id
    ctx.uow.append(AuditEvent, workspace_id=ctx.workspace.id, request_id=request_id, actor_id=who,
                   action=action, subject=subject, before=before, after=after,
                   detail=detail or {}, at=ctx.now)
