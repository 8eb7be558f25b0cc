"""From a parsed command, a click or a form to the workflow that handles it — tables, not ifs."""
from __future__ import annotations

from typing import Any, Awaitable, Callable


from workflows import acceptance, archive, changes, deadlines, disputes, feedback, issues, progress
from workflows import listing, requests, responsibilities
from workflows.commands import Command, parse, usage
from workflows.context import Ctx
from workflows.errors import UserError
from workflows.events import Reply
from workflows.repo import request_by_id, request_by_number
from workflows.views.request import request_card, request_form

VERDICTS = ("pass", "fail", "rework")


async def _new(ctx: Ctx, c: Command) -> Reply:
    if not c.fields:
        return Reply(form=request_form(ctx))
    return await requests.file_request(ctx, fields=c.fields)


async def _list(ctx: Ctx, c: Command) -> Reply:
    page = await listing.fetch_page(ctx.uow, workspace_id=ctx.workspace.id, conversation=ctx.conversation,
                                    page=listing.page_number(c.text), all_chats="all" in c.words)
    return Reply(text=listing.render_page(page, t=ctx.t, dept_name=ctx.dept_name))


async def _show(ctx: Ctx, c: Command) -> Reply:
    request = await request_by_number(ctx, c.ref)
    return Reply(text=ctx.t("reply.shown", number=request.number), card=request_card(ctx, request))


async def _assign(ctx: Ctx, c: Command) -> Reply:
    request = await request_by_number(ctx, c.ref)
    if not c.tasks:
        return await responsibilities.open_form(ctx, request_id=request.id)
    return await responsibilities.assign(ctx, request=request, specs=c.tasks)


async def _accept(ctx: Ctx, c: Command) -> Reply:
    verdict = next((w for w in c.words if w in VERDICTS), None)
    if verdict is None:
        raise UserError("error.verdict_missing", usage="accept")
    return await acceptance.accept(ctx, verdict=verdict, command=c)


async def _help(ctx: Ctx, c: Command) -> Reply:
    topic = c.words[0] if c.words else (c.text.split() or [None])[0]
    return Reply(text=usage(topic, ctx.t))


def _cmd(fn: Callable[..., Awaitable[Reply]]) -> Callable[[Ctx, Command], Awaitable[Reply]]:
    return lambda ctx, c: fn(ctx, command=c)


COMMANDS: dict[str, Callable[[Ctx, Command], Awaitable[Reply]]] = {
    "new": _new, "list": _list, "show": _show, "assign": _assign,
    "daily": _cmd(progress.post_daily), "status": _cmd(progress.update_status), "board": _cmd(progress.board),
    "issue": _cmd(issues.raise_issue), "ack": lambda ctx, c: issues.acknowledge(ctx, command=c),
    "resolve": _cmd(issues.resolve), "change": _cmd(changes.propose),
    "deliver": lambda ctx, c: acceptance.deliver(ctx, command=c), "accept": _accept,
    "feedback": _cmd(feedback.give), "reply": _cmd(feedback.answer), "revise": _cmd(feedback.revise),
    "dispute": _cmd(disputes.raise_dispute), "lesson": _cmd(archive.add_lesson),
    "archive": _cmd(archive.archive),
    "cancel": lambda ctx, c: requests.cancel(ctx, number=c.ref, reason=str(c.fields.get("reason") or c.text)),
    "help": _help,
}

V = dict[str, Any]
ACTIONS: dict[str, Callable[[Ctx, V], Awaitable[Reply]]] = {
    "request.approve": lambda ctx, v: requests.review(ctx, request_id=int(v["r"]), approve=True),
    "request.reject": lambda ctx, v: requests.review(ctx, request_id=int(v["r"]), approve=False,
                                                      reason=str(v.get("reason") or "")),
    "raci.open": lambda ctx, v: responsibilities.open_form(ctx, request_id=int(v["r"])),
    "task.confirm": lambda ctx, v: responsibilities.confirm(ctx, request_id=int(v["r"]), dept_id=int(v["d"])),
    "task.on_track": lambda ctx, v: deadlines.answer_risk_check(ctx, task_id=int(v["t"]), answer="on_track"),
    "task.at_risk": lambda ctx, v: deadlines.answer_risk_check(ctx, task_id=int(v["t"]), answer="at_risk"),
    "task.will_be_late": lambda ctx, v: deadlines.answer_risk_check(ctx, task_id=int(v["t"]), answer="will_be_late"),
    "issue.ack": lambda ctx, v: issues.acknowledge(ctx, issue_id=int(v["i"])),
    "change.approve": lambda ctx, v: changes.decide(ctx, change_id=int(v["c"]), dept_id=int(v["d"]), approve=True),
    "change.reject": lambda ctx, v: changes.decide(ctx, change_id=int(v["c"]), dept_id=None, approve=False),
    "acceptance.pass": lambda ctx, v: acceptance.accept(ctx, verdict="pass", delivery_id=int(v["dv"])),
    "acceptance.fail": lambda ctx, v: acceptance.accept(ctx, verdict="fail", delivery_id=int(v["dv"])),
    "acceptance.rework": lambda ctx, v: acceptance.accept(ctx, verdict="rework", delivery_id=int(v["dv"])),
    "completion.confirm": lambda ctx, v: acceptance.confirm_completion(ctx, request_id=int(v["r"]),
                                                                       dept_id=int(v["d"])),
    "dispute.settle": lambda ctx, v: disputes.settle(ctx, dispute_id=int(v["x"])),
}


def _form_text(fields: dict[str, Any]) -> str:
    """A submitted request form reads like the inline command, so both share one parser."""
    lines = ["new"]
    for name, value in fields.items():
        if isinstance(value, (list, tuple)):
            value = "、".join(str(v) for v in value)
        if value not in (None, ""):
            lines.append(f"{name}: {value}".replace("\n", "；"))
    return "\n".join(lines)


async def _form_new(ctx: Ctx, fields: V, value: V) -> Reply:
    return await requests.file_request(ctx, fields=parse(_form_text(fields)).fields)


async def _form_assign(ctx: Ctx, fields: V, value: V) -> Reply:
    request = await request_by_id(ctx, int(value["r"]))
    return await responsibilities.assign(ctx, request=request, specs=[fields])


FORMS: dict[str, Callable[[Ctx, V, V], Awaitable[Reply]]] = {
    "request.new": _form_new,
    "request.assign": _form_assign,
    "request.deliver": lambda ctx, f, v: acceptance.deliver(ctx, request_id=int(v["r"]), fields=f),
}
