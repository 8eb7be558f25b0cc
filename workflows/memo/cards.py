"""The memo card (R30): what was agreed, and one 签署 button per department still to sign."""
from __future__ import annotations

from storage.tables import CollaborationRequest, Confirmation, Memo, Task
from workflows.cards import Card, CardField
from workflows.kernel import authz, keys
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import button, mentions
from workflows.requests.machine import RequestState
from workflows.tasks.cards import task_line


def memo_card(ctx: Ctx, request: CollaborationRequest, memo: Memo, tasks: list[Task],
              signed: list[Confirmation]) -> Card:
    t, key = ctx.t, keys.memo_card(request.id)
    done = {c.department_id: c for c in signed}
    fields = [CardField(t("field.goal"), request.goal or "—", short=False),
              CardField(t("field.standard"), request.standard or "—", short=False),
              CardField(t("field.clause"), memo.clause or "—", short=False)]
    buttons, waiting = [], []
    open_ = RequestState(request.state) not in {RequestState.COMPLETED, RequestState.ARCHIVED,
                                                RequestState.CANCELLED, RequestState.REJECTED}
    for d in authz.involved_departments(request, tasks):
        c = done.get(d)
        fields.append(CardField(ctx.dept_name(d), t("memo.signed_by", who=ctx.person_name(c.person_id),
                                                     when=ctx.local_text(c.confirmed_at)) if c else t("memo.waiting")))
        if c is None and open_:
            heads = authz.may_confirm_for(ctx, d)
            waiting += heads
            buttons.append(button(ctx, "memo.sign", "button.memo_sign", key=key, allowed=heads, style="primary",
                                  label_args={"dept": ctx.dept_name(d)}, r=request.id, d=d))
    return Card(title=t("memo.title", number=request.number, title=request.title),
                tone="success" if memo.signed_at else "info",
                text="\n".join(task_line(ctx, task) for task in tasks), fields=fields, buttons=buttons,
                mentions=mentions(ctx, waiting))
