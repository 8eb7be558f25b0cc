"""The initiator's daily board to the group (issue 11, R37's daily rhythm): right after the R7
17:00 summary, each initiator's open requests in a group — status, risk, overdue tasks, open
issues — posted once a working day, and only when something changed since the last board. A chunk of
whole initiators at a time (issue 15), as the second phase of the 17:00 tick."""
from __future__ import annotations

import hashlib
import json
from datetime import date

from sqlmodel import col, select

from storage.tables import CollaborationRequest, Issue, Task
from workflows.cards import Card, CardField
from workflows.issues.machine import UNRESOLVED
from workflows.kernel import audit, outbox
from workflows.kernel.context import Ctx
from workflows.kernel.batches import issues_of_requests, last_board_digests, lean, tasks_of_requests
from workflows.kernel.widgets import mention
from workflows.requests.machine import LIVE, RequestState
from workflows.tasks.machine import RISKS, TaskStatus

ACTION = "board.daily"  # `kernel.batches.BOARD_ACTION` finds the last one through its index
OPEN = sorted(LIVE - {RequestState.SUBMITTED})


def _row(request: CollaborationRequest, tasks: list[Task], issues: list[Issue]) -> dict:
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


async def _open_of(ctx: Ctx, *, after: int, limit: int) -> tuple[list[CollaborationRequest], int | None]:
    """The initiators of the next `limit` requests after initiator `after` (a walk of
    `ix_collab_request_by_initiator` that stops there) and all their open (approved or later)
    requests, initiator by initiator; and the last initiator (None: no more)."""
    initiators = list(dict.fromkeys(await ctx.uow.all(select(CollaborationRequest.initiator_id).where(
        CollaborationRequest.workspace_id == ctx.workspace.id, col(CollaborationRequest.initiator_id) > after)
        .order_by(col(CollaborationRequest.initiator_id)).limit(limit))))
    if not initiators:
        return [], None
    return await ctx.uow.all(select(CollaborationRequest).options(*lean(CollaborationRequest)).where(
        CollaborationRequest.workspace_id == ctx.workspace.id, col(CollaborationRequest.initiator_id).in_(initiators),
        col(CollaborationRequest.state).in_(OPEN))
        .order_by(col(CollaborationRequest.initiator_id), col(CollaborationRequest.id))), initiators[-1]


async def post_boards(ctx: Ctx, day: date, *, after: int = 0, limit: int = 200) -> int | None:
    """One chunk of boards: the initiators of about `limit` requests after `after`, whole;
    the last initiator, or None when every board is out."""
    page, last = await _open_of(ctx, after=after, limit=limit)
    ids = [r.id for r in page]
    tasks = await tasks_of_requests(ctx, ids)  # type: ignore[arg-type]
    issues = await issues_of_requests(ctx, ids, UNRESOLVED)  # type: ignore[arg-type]
    groups: dict[tuple[int, str], list[CollaborationRequest]] = {}
    for request in page:
        groups.setdefault((request.initiator_id, request.conversation), []).append(request)
    subjects = {key: f"board:{key[0]}:{key[1]}" for key in groups}
    last_digest = await last_board_digests(ctx, list(subjects.values()))
    for (initiator, conversation), requests in groups.items():
        rows = [_row(r, tasks[r.id], issues[r.id]) for r in requests]  # type: ignore[index]
        digest = hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
        subject = subjects[(initiator, conversation)]
        if last_digest.get(subject) == digest:
            continue  # nothing changed since the last board: no post
        outbox.post(ctx, conversation=conversation, card=board_card(ctx, initiator, rows, day))
        audit.record(ctx, action=ACTION, subject=subject, after=digest, actor_id=None,
                     detail={"requests": [r["number"] for r in rows], "day": day.isoformat()})
    return last
