"""R30: the memo is issued in the transaction of the last R6 signature; each involved head signs
it with a button (`kernel.signoff`: nobody signs for another department); unsigned heads are
reminded like R6. The 违约处理 clause defaults to the workspace's (`breach_clause` setting) and
may be rewritten for the request by the initiating side — which asks every head to sign again."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from storage.tables import CollaborationRequest, Memo, Task, Timer
from workflows.cards import Card
from workflows.errors import Refused, UserError
from workflows.events import Reply
from workflows.kernel import audit, authz, keys, outbox, timers
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import confirmations, tasks_of
from workflows.kernel.signoff import all_signed, sign
from workflows.kernel.widgets import mentions
from workflows.memo.cards import memo_card
from workflows.requests.guard import open_request, require, timer_request

KIND, REMIND = "memo", "memo.remind"


async def _memo(ctx: Ctx, request: CollaborationRequest) -> Memo | None:
    return await ctx.uow.first(select(Memo).where(Memo.request_id == request.id))


def _remind_later(ctx: Ctx, request: CollaborationRequest, *, after) -> None:
    timers.set_timer(ctx, kind=REMIND, subject=keys.memo_card(request.id), request_id=request.id, allow_past=True,
                     due_at=after + timedelta(hours=ctx.policy.confirm_remind_hours))


async def issue(ctx: Ctx, request: CollaborationRequest, tasks: list[Task]) -> None:
    """Called when every head has confirmed the split (R6 → R30)."""
    if await _memo(ctx, request) is not None:
        return
    memo = Memo(request_id=request.id, clause=str(ctx.settings_value("breach_clause") or ctx.t("memo.default_clause")),
                issued_at=ctx.now)
    ctx.uow.add(memo)
    await ctx.uow.flush()
    outbox.post(ctx, conversation=request.conversation, card_key=keys.memo_card(request.id),
                card=memo_card(ctx, request, memo, tasks, []))
    _remind_later(ctx, request, after=ctx.now)
    audit.record(ctx, action="memo.issue", subject=keys.memo_card(request.id), request_id=request.id,
                 detail={"rule": "R30"})


async def sign_memo(ctx: Ctx, *, request_id: int, dept_id: int) -> Reply:
    request = await open_request(ctx, request_id=request_id, doing="view", lock=True)
    memo = await _memo(ctx, request)
    if memo is None:
        raise UserError("error.no_memo", number=request.number)
    tasks = await tasks_of(ctx, request.id)
    involved = authz.involved_departments(request, tasks)
    done, already = await sign(ctx, request=request, kind=KIND, dept_id=dept_id, required=involved,
                               subject_id=memo.id or 0, guard=lambda: require(ctx, request, "meeting"),
                               action="memo.sign", subject=keys.memo_card(request.id))
    if already:
        return already
    if all_signed(done, involved):
        memo.signed_at = ctx.now
        await timers.cancel(ctx.uow, subject=keys.memo_card(request.id), kinds=[REMIND])
        audit.record(ctx, action="memo.signed", subject=keys.memo_card(request.id), request_id=request.id)
    outbox.show(ctx, conversation=request.conversation, card_key=keys.memo_card(request.id),
                card=memo_card(ctx, request, memo, tasks, done))
    return Reply(text=ctx.t("reply.memo_signed", dept=ctx.dept_name(dept_id), number=request.number))


async def set_clause(ctx: Ctx, *, number: str | None, clause: str) -> Reply:
    """The initiating side rewrites 违约处理 for this request; signatures so far are void."""
    request = await open_request(ctx, number=number, doing="meeting", lock=True)
    memo = await _memo(ctx, request)
    if memo is None:
        raise UserError("error.no_memo", number=request.number)
    if not clause:
        tasks = await tasks_of(ctx, request.id)
        signed = await confirmations(ctx, request.id, KIND, memo.id or 0)
        return Reply(text=ctx.t("reply.memo", number=request.number), card=memo_card(ctx, request, memo, tasks, signed))
    if ctx.actor is None or ctx.actor.id not in authz.may_manage(ctx, request):
        raise Refused("refused.manage", number=request.number)
    before, memo.clause, memo.signed_at = memo.clause, clause[:500], None
    for c in await confirmations(ctx, request.id, KIND, memo.id or 0):
        await ctx.uow.session.delete(c)
    await ctx.uow.flush()
    await timers.cancel(ctx.uow, subject=keys.memo_card(request.id), kinds=[REMIND])
    _remind_later(ctx, request, after=ctx.now)
    audit.record(ctx, action="memo.clause", subject=keys.memo_card(request.id), request_id=request.id,
                 before=before[:100], after=memo.clause[:100])
    tasks = await tasks_of(ctx, request.id)
    outbox.show(ctx, conversation=request.conversation, card_key=keys.memo_card(request.id),
                card=memo_card(ctx, request, memo, tasks, []))  # the one memo card, signatures cleared
    heads = authz.heads(ctx, authz.involved_departments(request, tasks))
    for person in heads:
        outbox.direct(ctx, person_id=person, card=memo_card(ctx, request, memo, tasks, []))
    return Reply(text=ctx.t("reply.memo_clause", number=request.number))


async def remind(ctx: Ctx, timer: Timer) -> None:
    """Like R6: the heads who have not signed, every 24 hours until all have."""
    request = await timer_request(ctx, timer, doing="meeting", lock=True)
    memo = await _memo(ctx, request) if request else None
    if request is None or memo is None or memo.signed_at:
        return
    tasks = await tasks_of(ctx, request.id)
    done = {c.department_id for c in await confirmations(ctx, request.id, KIND, memo.id or 0)}
    waiting = [d for d in authz.involved_departments(request, tasks) if d not in done]
    heads = authz.heads(ctx, waiting)
    card = Card(title=ctx.t("memo.remind.title", number=request.number), tone="warning",
                text=ctx.t("memo.remind.text", number=request.number, depts="、".join(ctx.dept_name(d) for d in waiting)),
                mentions=mentions(ctx, heads))
    outbox.announce(ctx, conversation=request.conversation, card=card, people=heads)
    audit.record(ctx, action=REMIND, subject=timer.subject, request_id=request.id, actor_id=None)
    _remind_later(ctx, request, after=timer.due_at)


TIMERS = {REMIND: remind}
