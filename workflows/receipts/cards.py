"""The receipt card (R28): one line per collaborating department — who received it and when,
or a 确认接收 button only that department's head, liaison or contact person may press."""
from __future__ import annotations

from datetime import datetime

from storage.tables import CollaborationRequest
from workflows.cards import Card, CardField
from workflows.kernel import authz, keys
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import button, mentions


def waiting(request: CollaborationRequest) -> list[int]:
    """The collaborating departments that have not confirmed receipt yet."""
    return [d for d in request.collaborating if str(d) not in request.received]


def received_text(ctx: Ctx, request: CollaborationRequest) -> str:
    """`技术部 ✓ 吴磊 07-13 10:05；设计部 待接收` — also a field of the request card."""
    parts = []
    for d in request.collaborating:
        got = request.received.get(str(d))
        if got:
            when = ctx.local_text(datetime.fromisoformat(got["at"]))
            parts.append(ctx.t("receipt.line.done", dept=ctx.dept_name(d), who=ctx.person_name(got["person"]),
                               when=when))
        else:
            parts.append(ctx.t("receipt.line.waiting", dept=ctx.dept_name(d)))
    return "；".join(parts)


def receiver_ids(ctx: Ctx, request: CollaborationRequest, depts: list[int]) -> list[int]:
    return list(dict.fromkeys(p for d in depts for p in authz.may_receive_for(ctx, request, d)))


def receipt_card(ctx: Ctx, request: CollaborationRequest) -> Card:
    key = keys.receipt_card(request.id)
    pending = waiting(request)
    buttons = [button(ctx, "receipt.confirm", "button.receive", key=key, style="primary",
                      allowed=authz.may_receive_for(ctx, request, d), label_args={"dept": ctx.dept_name(d)},
                      r=request.id, d=d) for d in pending]
    text = ctx.t("receipt.text", number=request.number, days=ctx.policy.receipt_working_days) if pending else \
        ctx.t("receipt.all_done", number=request.number)
    return Card(title=ctx.t("receipt.title", number=request.number, title=request.title),
                tone="info" if pending else "success", text=text,
                fields=[CardField(ctx.t("field.received"), received_text(ctx, request), short=False)],
                buttons=buttons, mentions=mentions(ctx, receiver_ids(ctx, request, pending)))


def nudge_card(ctx: Ctx, request: CollaborationRequest, depts: list[int], *, step: str) -> Card:
    """The reminder (step `remind`) or the escalation to the VP (step `vp`)."""
    people = receiver_ids(ctx, request, depts)
    return Card(title=ctx.t(f"receipt.{step}.title", number=request.number), tone="warning" if step == "remind"
                else "danger", text=ctx.t(f"receipt.{step}.text", number=request.number,
                                          depts="、".join(ctx.dept_name(d) for d in depts),
                                          days=ctx.policy.receipt_working_days),
                mentions=mentions(ctx, people))
