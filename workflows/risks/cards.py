"""The risk card (R32) and the register as a list — pure rendering."""
from __future__ import annotations

from storage.tables import CollaborationRequest, Risk
from workflows.cards import Card, CardField
from workflows.kernel import authz, keys
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import RISK_TONE, button, day_text, mention
from workflows.risks.machine import RISK, RiskState


def risk_line(ctx: Ctx, risk: Risk) -> str:
    """`R2 支付接口延期 · 技术部 · 可能性 中 / 影响 高 · 吴磊 · 触发: 7/20 · 未触发`"""
    return ctx.t("risk.line", seq=risk.seq, desc=risk.description, dept=ctx.dept_name(risk.department_id),
                 probability=ctx.t(f"risk.{risk.probability}"), impact=ctx.t(f"risk.{risk.impact}"),
                 owner=ctx.person_name(risk.owner_id), trigger=risk.trigger or "—",
                 state=ctx.t(f"risk_state.{risk.state}"))


def risk_card(ctx: Ctx, request: CollaborationRequest, risk: Risk, *, footer: str = "") -> Card:
    t, key = ctx.t, keys.risk_card(risk.id)  # type: ignore[arg-type]
    fields = [
        CardField(t("field.state"), t(f"risk_state.{risk.state}")),
        CardField(t("field.responsible"), ctx.dept_name(risk.department_id)),
        CardField(t("field.probability"), t(f"risk.{risk.probability}")),
        CardField(t("field.impact"), t(f"risk.{risk.impact}")),
        CardField(t("field.owner"), ctx.person_name(risk.owner_id)),
        CardField(t("field.trigger"), risk.trigger or "—"),
        CardField(t("field.countermeasure"), risk.countermeasure or "—", short=False),
    ]
    if risk.trigger_date:
        fields.append(CardField(t("field.trigger_date"), day_text(risk.trigger_date)))
    allowed = authz.may_manage_risk(ctx, request, risk.owner_id)
    buttons = []
    if RISK.can(risk.state, "trigger"):
        buttons.append(button(ctx, "risk.trigger", "button.risk_trigger", key=key, allowed=allowed,
                              style="danger", confirm_key="confirm.risk_trigger", rk=risk.id))
    if RISK.can(risk.state, "close"):
        buttons.append(button(ctx, "risk.close", "button.risk_close", key=key, allowed=allowed, rk=risk.id))
    worst = max(risk.probability, risk.impact, key=("low", "medium", "high").index)
    return Card(title=t("risk.title", number=request.number, seq=risk.seq, desc=risk.description),
                tone="neutral" if risk.state == RiskState.CLOSED else RISK_TONE[worst], fields=fields,
                buttons=buttons, footer=footer,
                mentions=mention(ctx, risk.owner_id) if risk.state != RiskState.CLOSED else [])


def register_card(ctx: Ctx, request: CollaborationRequest, risks: list[Risk]) -> Card:
    text = "\n".join(f"• {risk_line(ctx, r)}" for r in risks) or ctx.t("risk.none")
    return Card(title=ctx.t("risk.register.title", number=request.number), tone="info", text=text)
