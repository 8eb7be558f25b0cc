"""The initiator's daily board to the group (issue 11, R37's daily rhythm): right after the R7
17:00 summary, each initiator's open requests in a group — status, risk, overdue tasks, open
issues — posted once a working day, and only when something changed since the last board."""
from __future__ import annotations

import hashlib
import json
from datetime import date

from sqlmodel import col, select

from storage.tables import AuditEvent, CollaborationRequest, Issue
from workflows.cards import Card, CardField
from workflows.issues.machine import UNRESOLVED
from workflows.kernel import audit, outbox
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import requests_in, tasks_of
from workflows.kernel.widgets import mention
from workflows.requests.machine import LIVE, RequestState
from workflows.tasks.machine import RISKS, TaskStatus

ACTION = "board.daily"


async def _row(ctx: Ctx, request: CollaborationRequest) -> dict:
    tasks = await tasks_of(ctx, request.id)
    issues = await ctx.uow.all(select(Issue.id).where(Issue.request_id == request.id,
                                                      col(Issue.state).in_(sorted(UNRESOLVED))))
    return {"number": request.number, "title": request.title, "state": request.state,
            "risk": max((t.risk for t in tasks), key=RISKS.index, default="low"),
            "overdue": sum(1 for t in tasks if t.status == TaskStatus.DELAYED), "issues": len(issues)}


def board_card(ctx: Ctx, initiator: int, rows: list[dict], day: date) -> Card:
    t = ctx.t
    fields = [CardField(f"{r['number']} {r['title']}", t("dailyboard.line", state=t(f"state.{r['state']}"),
                                                          risk=t(f"risk.{r['risk']}"), overdue=r["overdue"],
                                                          issues=r["issues"]), short=False) for r in rows]
    worst = max((r["risk"] for r in rows), key=RISKS.index, default="low")
    return Card(title=t("dailyboard.title", who=ctx.person_name(initiator), day=day.isoformat()),
                tone="danger" if worst == "high" else "warning" if worst == "medium" else "info",
                fields=fields, mentions=mention(ctx, initiator))


async def post_boards(ctx: Ctx, day: date) -> None:
    open_ = [r for r in await requests_in(ctx, LIVE) if r.state != RequestState.SUBMITTED]
    groups: dict[tuple[int, str], list[CollaborationRequest]] = {}
    for request in open_:
        groups.setdefault((request.initiator_id, request.conversation), []).append(request)
    for (initiator, conversation), requests in groups.items():
        rows = [await _row(ctx, r) for r in requests]
        digest = hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
        subject = f"board:{initiator}:{conversation}"
        last = await ctx.uow.first(select(AuditEvent).where(
            AuditEvent.workspace_id == ctx.workspace.id, AuditEvent.action == ACTION,
            AuditEvent.subject == subject).order_by(col(AuditEvent.id).desc()))
        if last is not None and last.after == digest:
            continue  # nothing changed since the last board: no post
        outbox.post(ctx, conversation=conversation, card=board_card(ctx, initiator, rows, day))
        audit.record(ctx, action=ACTION, subject=subject, after=digest, actor_id=None,
                     detail={"requests": [r["number"] for r in rows], "day": day.isoformat()})
