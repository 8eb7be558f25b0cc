"""The one door to a request for every command, click and timer: load it and check that what
is about to happen is still allowed in its state (`machine.ALLOWED`). A closed request answers
the same clear refusal everywhere; a timer whose request has moved on does nothing and says so
in the log."""
from __future__ import annotations

import logging

from storage.tables import CollaborationRequest, Timer
from workflows.errors import UserError
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import request_by_id, request_by_number
from workflows.requests.machine import CLOSED, RequestState, allows

log = logging.getLogger("collab.timers")


async def open_request(ctx: Ctx, *, doing: str, number: str | None = None, request_id: int | None = None,
                       lock: bool = False) -> CollaborationRequest:
    """The request by number (typed commands) or id (buttons, forms, timers), checked for `doing`."""
    if request_id is not None:
        request = await request_by_id(ctx, request_id, lock=lock)
    else:
        request = await request_by_number(ctx, number, lock=lock)
    ctx.request_id = request.id  # a refusal from here on is about this request (its audit row says so)
    require(ctx, request, doing)
    return request


def require(ctx: Ctx, request: CollaborationRequest, doing: str) -> None:
    if allows(request.state, doing):
        return
    key = "error.closed" if RequestState(request.state) in CLOSED else "error.state"
    raise UserError(key, number=request.number, state=ctx.t(f"state.{request.state}"))


async def timer_request(ctx: Ctx, timer: Timer, *, doing: str, request_id: int | None = None,
                        lock: bool = False) -> CollaborationRequest | None:
    """For a timer handler: the request when `doing` still makes sense, else None (logged)."""
    request = await request_by_id(ctx, request_id if request_id is not None else timer.request_id, lock=lock)
    if allows(request.state, doing):
        return request
    log.info("timer %s (%s): request %s is %s — nothing to do", timer.id, timer.kind, request.number,
             request.state, extra={"timer": timer.id, "kind": timer.kind, "request": request.number})
    return None
