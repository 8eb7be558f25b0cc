"""Who may read and who may edit an archive (R22): read by the people of the involved
departments (their own, or one they head or liaise for) plus VPs and admins; edited — notes
added — only by the lead (initiating) department. The chat and the web page ask the same
functions, so the gating is one rule in two doors."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from storage.tables import ArchiveDocument, CollaborationRequest, Person, Task
from workflows.board.scope import may_see, viewer_for
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import tasks_of


def may_read(ctx: Ctx, person: Person | None, request: CollaborationRequest, tasks: list[Task]) -> bool:
    return person is not None and may_see(viewer_for(ctx, person), request, tasks)


def may_edit(ctx: Ctx, person: Person | None, request: CollaborationRequest) -> bool:
    """A member of the initiating department, or its head or liaison (R22 "editable only by the
    lead department"); a VP or admin reads but does not rewrite another department's record."""
    if person is None:
        return False
    lead = ctx.dept(request.initiating_department_id)
    return person.department_id == request.initiating_department_id or (
        lead is not None and person.id in (lead.head_id, lead.liaison_id))


@dataclass(frozen=True)
class ArchiveView:
    request_id: int
    number: str
    name: str
    markdown: str
    editable: bool


async def archive_view(ctx: Ctx, *, person: Person, number: str) -> ArchiveView | None:
    """The archive as `person` may see it on the board, or None when there is no such archive or
    it is not theirs to read (the page says so without telling which archives exist)."""
    request = await ctx.uow.first(select(CollaborationRequest).where(
        CollaborationRequest.workspace_id == ctx.workspace.id, CollaborationRequest.number == number.upper()))
    if request is None or not may_read(ctx, person, request, await tasks_of(ctx, request.id)):
        return None
    doc = await ctx.uow.first(select(ArchiveDocument).where(ArchiveDocument.request_id == request.id))
    if doc is None:
        return None
    return ArchiveView(request_id=request.id, number=request.number, name=doc.name, markdown=doc.markdown,  # type: ignore[arg-type]
                       editable=may_edit(ctx, person, request))
