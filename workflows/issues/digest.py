"""R13 the 12:00 digest (每日12:00汇总问题): each request's open issues to its group, by priority
— severity, then age — with owner and deadline. Run a chunk of requests at a time (issue 15):
the tick commits each chunk with its cursor, so a crash resumes where it stopped."""
from __future__ import annotations

from datetime import date

from storage.tables import CollaborationRequest, Issue
from workflows.cards import Card
from workflows.grammar.vocabulary import LEVEL_ORDER
from workflows.issues.machine import UNRESOLVED
from workflows.kernel import outbox
from workflows.kernel.batches import after_id, issues_of_requests, requests_page
from workflows.kernel.context import Ctx
from workflows.kernel.ticks import ISSUE_DIGEST
from workflows.requests.machine import LIVE, RequestState


def digest_card(ctx: Ctx, request: CollaborationRequest, issues: list[Issue], day: date) -> Card:
    issues = sorted(issues, key=lambda i: (-LEVEL_ORDER.index(i.severity), i.raised_at))
    lines = [ctx.t("digest.line", ref=f"{request.number}#{i.seq}", severity=ctx.t(f"risk.{i.severity}"),
                   text=i.description[:60], owner=ctx.person_name(i.owner_id),
                   deadline=ctx.local_text(i.deadline), state=ctx.t(f"issue_state.{i.state}"))
             for i in issues]
    return Card(title=ctx.t("digest.title", number=request.number, day=day.isoformat(), count=len(issues)),
                tone="warning" if any(i.severity == "high" for i in issues) else "info", text="\n".join(lines))


async def issue_digest(ctx: Ctx, day: date, *, cursor: str = "", limit: int = 200) -> str | None:
    """One chunk: the next `limit` live requests after `cursor`; the cursor to go on from, or
    None when the digest is done."""
    page = await requests_page(ctx, LIVE - {RequestState.SUBMITTED}, after=after_id(cursor), limit=limit)
    issues = await issues_of_requests(ctx, [r.id for r in page], UNRESOLVED)  # type: ignore[misc]
    for request in page:
        if found := issues[request.id]:  # type: ignore[index]
            outbox.post(ctx, conversation=request.conversation, card=digest_card(ctx, request, found, day))
    return str(page[-1].id) if len(page) == limit else None


JOBS = {ISSUE_DIGEST: issue_digest}
