"""The plan-change card (R17): old plan and new plan side by side, one button per department."""
from __future__ import annotations

from storage.tables import CollaborationRequest, Confirmation, PlanChange
from workflows.kernel import authz, keys
from workflows.cards import Card, CardField
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import button, mentions
from workflows.changes.machine import CHANGE


def plan_text(ctx: Ctx, plan: dict) -> str:
    parts = []
    if plan.get("due"):
        parts.append(f"{ctx.t('field.due')} {plan['due']}")
    for seq, day in sorted((plan.get("tasks") or {}).items()):
        parts.append(ctx.t("change.task_due", seq=seq, day=day))
    if plan.get("scope"):
        parts.append(f"{ctx.t('field.scope')} {plan['scope']}")
    if plan.get("scope_add") or plan.get("scope_drop"):  # a proposal: the moves, in words (R34)
        parts.append(scope_moves(ctx, plan))
    elif "scope_in" in plan or "scope_out" in plan:  # the plan it replaces: the scope as it was
        parts += [f"{ctx.t('field.in_scope')} {plan.get('scope_in') or '—'}",
                  f"{ctx.t('field.out_scope')} {plan.get('scope_out') or '—'}"]
    return ctx.join_items(parts) or "—"


def scope_moves(ctx: Ctx, plan: dict) -> str:
    """`范围变更：新增 移动端适配、埋点 / 移出 支付流程` — empty when the change keeps the scope."""
    moves = [ctx.t(f"change.scope_{k}", items=ctx.join(plan[f"scope_{k}"]))
             for k in ("add", "drop") if plan.get(f"scope_{k}")]
    return ctx.t("change.scope_change", moves=" / ".join(moves)) if moves else ""


def applied_card(ctx: Ctx, request: CollaborationRequest, change: PlanChange) -> Card:
    """The group is told the change took effect — with the scope as it now stands, if it moved."""
    lines = [ctx.t("change.applied.text", plan=plan_text(ctx, change.proposal))]
    if scope_moves(ctx, change.proposal):
        lines += [ctx.t("change.scope_now_in", items=request.scope_in or "—"),
                  ctx.t("change.scope_now_out", items=request.scope_out or "—")]
    return Card(title=ctx.t("change.applied.title", number=request.number, seq=change.seq), tone="success",
                text="\n".join(lines))


def change_card(ctx: Ctx, request: CollaborationRequest, change: PlanChange, involved: list[int],
                confirmed: list[Confirmation]) -> Card:
    t = ctx.t
    done = {c.department_id: c for c in confirmed}
    fields = [CardField(t("field.state"), t(f"change_state.{change.state}")),
              CardField(t("field.reason"), change.reason, short=False),
              CardField(t("field.impact"), change.impact or "—", short=False),
              CardField(t("change.old_plan"), plan_text(ctx, change.old_plan), short=False),
              CardField(t("change.new_plan"), plan_text(ctx, change.proposal), short=False)]
    if change.decision_note:
        fields.append(CardField(t("field.rejected_by"), f"{ctx.person_name(change.decided_by)} · "
                                f"{change.decision_note}", short=False))
    buttons, waiting = [], []
    for d in involved:
        c = done.get(d)
        fields.append(CardField(ctx.dept_name(d), t("raci.confirmed_by", who=ctx.person_name(c.person_id),
                                                     when=ctx.local_text(c.confirmed_at)) if c else t("raci.waiting")))
        if c is None and CHANGE.can(change.state, "apply"):
            heads = authz.may_confirm_for(ctx, d)
            waiting += heads
            buttons.append(button(ctx, "change.approve", "button.approve_for", key=keys.change_card(change.id),
                                  allowed=heads, style="primary", label_args={"dept": ctx.dept_name(d)},
                                  c=change.id, d=d))
    if CHANGE.can(change.state, "reject"):
        reject = button(ctx, "change.reject", "button.reject", key=keys.change_card(change.id),
                        allowed=authz.heads(ctx, involved), style="danger", confirm_key="confirm.reject",
                        c=change.id)
        buttons.append(reject)
    return Card(title=t("change.title", number=request.number, seq=change.seq),
                tone={"proposed": "warning", "approved": "success", "rejected": "neutral"}[change.state],
                fields=fields, buttons=buttons, mentions=mentions(ctx, waiting))
