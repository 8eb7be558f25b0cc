"""R22 archiving a completed request, R23 lessons learned after closing (the archive is rebuilt)."""
from __future__ import annotations

from urllib.parse import quote

from sqlmodel import col, select

from storage.tables import ArchiveDocument, CollaborationRequest, Issue
from workflows.archive.access import may_edit, may_read
from workflows.archive.document import build
from workflows.board.links import sign
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


async def _document(ctx: Ctx, request: CollaborationRequest) -> ArchiveDocument:
    doc = await ctx.uow.first(select(ArchiveDocument).where(ArchiveDocument.request_id == request.id))
    if doc is None:
        raise UserError("error.not_archived", number=request.number)
    return doc


async def archive_file(ctx: Ctx, *, number: str | None, note: str = "") -> Reply:
    """R22 from the chat: the archive for the involved departments — a personal link to its page
    on the board where one is served, else the document itself, privately. With text, a note
    added to it (the lead department only)."""
    if note.strip():
        return await add_note(ctx, number=number, text=note)
    request = await open_request(ctx, number=number, doing="view")
    doc = await _document(ctx, request)
    if not may_read(ctx, ctx.actor, request, await tasks_of(ctx, request.id)):
        raise Refused("refused.archive_read", number=request.number)
    editable = ctx.t("archive.editable") if may_edit(ctx, ctx.actor, request) else ""
    if ctx.links is not None and ctx.links.secret and ctx.links.base_url and ctx.actor is not None:
        token = sign(secret=ctx.links.secret, workspace_id=ctx.workspace.id, person_key=ctx.actor.key,
                     now=ctx.now, ttl=ctx.links.ttl)
        url = f"{ctx.links.base_url.rstrip('/')}/board/r/{quote(request.number)}/archive?t={token}"
        return Reply(text=ctx.t("archive.link", name=doc.name, url=url, expires=ctx.local_text(ctx.now + ctx.links.ttl))
                     + editable)
    return Reply(text=ctx.t("archive.file", name=doc.name) + editable + "\n\n" + doc.markdown)


async def add_note(ctx: Ctx, *, text: str, number: str | None = None, request_id: int | None = None) -> Reply:
    """R22: the lead department annotates the archive (corrections, what to keep in mind); the
    note is in the document and its data, with who and when."""
    request = await open_request(ctx, number=number, request_id=request_id, doing="lesson", lock=True)
    doc = await _document(ctx, request)
    if not may_edit(ctx, ctx.actor, request):
        raise Refused("refused.archive_edit", dept=ctx.dept_name(request.initiating_department_id))
    if not text.strip():
        raise UserError("error.note_empty", field="note", usage="archive_file")
    assert ctx.actor is not None  # may_edit said so
    note = {"who": ctx.actor.name, "at": ctx.local_text(ctx.now), "text": text.strip()}
    doc.data = {**(doc.data or {}), "notes": [*(doc.data or {}).get("notes", []), note]}
    audit.record(ctx, action="archive.note", subject=keys.request_card(request.id), request_id=request.id)
    await ctx.uow.flush()
    await build(ctx, request)
    return Reply(text=ctx.t("reply.archive_note", number=request.number, name=doc.name))
