"""R22 archiving a completed request, R23 lessons learned after closing (the archive is rebuilt)."""
from __future__ import annotations

from sqlmodel import col, select

from storage.tables import Issue
from workflows.archive.document import build
from workflows.issues.machine import UNRESOLVED
from workflows.cards import Card, CardField
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.kernel import audit, authz, keys, outbox
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import tasks_of
from workflows.requests.cards import request_card
from workflows.requests.guard import open_request
from workflows.requests.machine import REQUEST, RequestState


async def archive(ctx: Ctx, *, number: str | None, force: bool = False) -> Reply:
    """R22: after completion, the lead side or the initiator closes the books — warned first
    when issues are still open (`force` archives them as they stand)."""
    request = await open_request(ctx, number=number, doing="archive", lock=True)
    leads = [t.lead_department_id for t in await tasks_of(ctx, request.id)]
    allowed = authz.may_manage(ctx, request) + authz.heads(ctx, leads)
    if ctx.actor is None or ctx.actor.id not in allowed:
        raise Refused("refused.manage", number=request.number)
    open_issues = await ctx.uow.all(select(Issue).where(Issue.request_id == request.id,
                                                        col(Issue.state).in_(sorted(UNRESOLVED))))
    if open_issues and not force:
        return Reply(ok=False, text=ctx.t("error.archive_open_issues", number=request.number, count=len(open_issues),
                                          refs=ctx.join(f"#{i.seq}" for i in open_issues)))
    before = request.state
    request.state = REQUEST.next(before, "archive")
    request.archived_at = request.updated_at = ctx.now
    audit.record(ctx, action="request.archive", subject=keys.request_card(request.id), request_id=request.id,
                 before=before, after=request.state)
    await ctx.uow.flush()
    doc = await build(ctx, request)
    outbox.show(ctx, conversation=request.conversation, card_key=keys.request_card(request.id), card=request_card(ctx, request))
    outbox.post(ctx, conversation=request.conversation, card=Card(
        title=ctx.t("archive.posted.title", number=request.number), tone="success",
        fields=[CardField(ctx.t("archive.name"), doc.name, short=False),
                CardField(ctx.t("archive.retain"), doc.retain_until.isoformat())]))
    return Reply(text=ctx.t("reply.archived", number=request.number, name=doc.name))


async def add_lesson(ctx: Ctx, *, number: str | None, text: str) -> Reply:
    """R23: participants add lessons learned after closing; the archive is rebuilt with them."""
    request = await open_request(ctx, number=number, doing="lesson", lock=True)
    involved = authz.involved_departments(request, await tasks_of(ctx, request.id))
    if ctx.actor is None or ctx.actor.department_id not in involved:
        raise Refused("refused.not_involved", dept=ctx.dept_name(ctx.actor.department_id if ctx.actor else None))
    if not text.strip():
        raise UserError("error.lesson_empty", usage="lesson")
    request.lessons = [*request.lessons, {"who": ctx.actor.name, "at": ctx.local_text(ctx.now),
                                          "text": text.strip()}]
    audit.record(ctx, action="request.lesson", subject=keys.request_card(request.id), request_id=request.id)
    await ctx.uow.flush()
    if request.state == RequestState.ARCHIVED:
        await build(ctx, request)
    return Reply(text=ctx.t("reply.lesson", number=request.number))
