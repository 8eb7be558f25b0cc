"""R13 the 12:00 digest (每日12:00汇总问题): each request's open issues to its group, by priority
— severity, then age — with owner and deadline."""
from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from storage.tables import Issue
from workflows.cards import Card
from workflows.grammar.vocabulary import LEVEL_ORDER
from workflows.issues.machine import UNRESOLVED
from workflows.kernel import outbox
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import requests_in
from workflows.kernel.ticks import ISSUE_DIGEST
from workflows.requests.machine import LIVE, RequestState


async def issue_digest(ctx: Ctx, day: date) -> None:
    for request in await requests_in(ctx, LIVE - {RequestState.SUBMITTED}):
        issues = await ctx.uow.all(select(Issue).where(Issue.request_id == request.id,
                                                       col(Issue.state).in_(sorted(UNRESOLVED))))
        if not issues:
            continue
        issues.sort(key=lambda i: (-LEVEL_ORDER.index(i.severity), i.raised_at))
        lines = [ctx.t("digest.line", ref=f"{request.number}#{i.seq}", severity=ctx.t(f"risk.{i.severity}"),
                       text=i.description[:60], owner=ctx.person_name(i.owner_id),
                       deadline=ctx.local_text(i.deadline), state=ctx.t(f"issue_state.{i.state}"))
                 for i in issues]
        outbox.post(ctx, conversation=request.conversation, card=Card(
            title=ctx.t("digest.title", number=request.number, day=day.isoformat(), count=len(issues)),
            tone="warning" if any(i.severity == "high" for i in issues) else "info", text="\n".join(lines)))


JOBS = {ISSUE_DIGEST: issue_digest}
