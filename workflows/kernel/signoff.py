"""签字确认 — one department head signs for their own department (R6 the RACI split, R17 a plan
change, R21 completion). The unique key on `confirmation` makes a second signature impossible;
this module makes it a polite answer instead."""
from __future__ import annotations

from typing import Callable

from storage.tables import CollaborationRequest, Confirmation
from workflows.kernel import audit, authz
from workflows.kernel.context import Ctx
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.kernel.lookups import confirmations


async def sign(ctx: Ctx, *, request: CollaborationRequest, kind: str, dept_id: int, required: list[int],
               guard: Callable[[], None], action: str, subject: str,
               subject_id: int = 0) -> tuple[list[Confirmation], Reply | None]:
    """Returns every signature so far (this one included) — or the answer that it was already
    signed. Nobody signs for another department (R6)."""
    if ctx.dept(dept_id) is None:  # a value we never rendered
        raise UserError("error.bad_action", action=action)
    if ctx.actor is None or ctx.actor.id not in authz.may_confirm_for(ctx, dept_id):
        raise Refused("refused.confirm", dept=ctx.dept_name(dept_id))
    done = await confirmations(ctx, request.id, kind, subject_id)
    mine = next((c for c in done if c.department_id == dept_id), None)
    if mine is not None:
        return done, Reply(ok=False, text=ctx.t("reply.already_confirmed", dept=ctx.dept_name(dept_id),
                                                who=ctx.person_name(mine.person_id),
                                                when=ctx.local_text(mine.confirmed_at)))
    guard()  # the entity is still open for signing (raises the user's answer if not)
    if dept_id not in required:
        raise Refused("refused.not_involved", dept=ctx.dept_name(dept_id))
    row = Confirmation(request_id=request.id, kind=kind, subject_id=subject_id, department_id=dept_id,
                       person_id=ctx.actor.id, confirmed_at=ctx.now)
    ctx.uow.add(row)
    audit.record(ctx, action=action, subject=subject, request_id=request.id,
                 detail={"department": ctx.dept_name(dept_id)})
    return [*done, row], None


def all_signed(done: list[Confirmation], required: list[int]) -> bool:
    return {c.department_id for c in done} >= set(required)
