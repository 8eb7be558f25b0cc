"""What the requests domain answers: `new`/`新建` (or the form), `list`, `show`, `cancel`,
`help`, and the review buttons (R4)."""
from __future__ import annotations

from typing import Any, Mapping

from workflows.errors import UserError
from workflows.events import Reply
from workflows.grammar import Command, read_form, usage
from workflows.kernel.context import Ctx
from workflows.kernel.routes import Routes, Value
from workflows.requests import deadlines, listing, service
from workflows.requests.cards import request_form
from workflows.requests.service import RequestDraft


async def _new(ctx: Ctx, c: Command) -> Reply:
    if not c.fields:
        return Reply(form=request_form(ctx))
    return await service.file_request(ctx, draft=RequestDraft.of(c.fields))


async def _new_form(ctx: Ctx, fields: Mapping[str, Any], _value: Value) -> Reply:
    return await service.file_request(ctx, draft=RequestDraft.of(read_form("new", fields)))


async def _help(ctx: Ctx, c: Command) -> Reply:
    topic = c.words[0] if c.words else (c.text.split() or [None])[0]
    return Reply(text=usage(topic, ctx.t))


async def _reject_form(ctx: Ctx, fields: Mapping[str, Any], value: Value) -> Reply:
    return await service.review(ctx, request_id=value.id("r"), approve=False,
                                reason=str(fields.get("reason") or ""))


async def _cancel(ctx: Ctx, c: Command) -> Reply:
    reason = str(c.fields.get("reason") or c.text or "").strip()
    if not reason:
        raise UserError("error.cancel_reason", usage="cancel")
    return await service.cancel(ctx, number=c.ref, reason=reason)


ROUTES = Routes(
    commands={
        "new": _new, "help": _help, "cancel": _cancel,
        "list": lambda ctx, c: service.list_requests(ctx, everywhere="all" in c.words,
                                                     page=listing.page_number(c.text)),
        "show": lambda ctx, c: service.show(ctx, number=c.ref),
    },
    actions={
        "request.approve": lambda ctx, v: service.review(ctx, request_id=v.id("r"), approve=True),
        "request.reject": lambda ctx, v: service.review(ctx, request_id=v.id("r"), approve=False),
    },
    forms={"request.new": _new_form, "request.reject": _reject_form},
    timers=deadlines.TIMERS,
)
