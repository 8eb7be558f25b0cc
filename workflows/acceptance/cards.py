"""Delivery with its self-check list (R19), the verdict buttons (R20), completion (R21)."""
from __future__ import annotations

import hashlib
from datetime import date

from storage.tables import CollaborationRequest, Confirmation, Delivery
from workflows.kernel import authz, keys
from workflows.cards import Card, CardField, Form, Input, Option
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import button, mention, mentions


def standard_id(standard: str) -> str:
    """A self-check box's value: short (Slack caps option values at 150 chars) and derived from
    the text, so a form opened before a plan change rewrote the standards never ticks another."""
    return "s" + hashlib.sha1(standard.encode()).hexdigest()[:10]


def delivery_card(ctx: Ctx, request: CollaborationRequest, delivery: Delivery, *, verdict: str = "",
                  notes: str = "", by: int | None = None, rework_due: date | None = None) -> Card:
    t = ctx.t
    checks = "\n".join(f"{'✅' if c['met'] else '❌'} {c['standard']}" + (f" · {c['note']}" if c.get("note") else "")
                       for c in delivery.self_check) or "—"
    fields = [CardField(t("field.deliverables"), delivery.deliverables, short=False),
              CardField(t("field.self_check"), checks, short=False),
              CardField(t("field.submitted_by"), f"{ctx.person_name(delivery.submitted_by)} · "
                                                 f"{ctx.local_text(delivery.submitted_at)}")]
    buttons = []
    if verdict:
        fields.append(CardField(t("field.verdict"), f"{t(f'verdict.{verdict}')} · {ctx.person_name(by)}"))
        if notes:
            fields.append(CardField(t("field.notes"), notes, short=False))
        if rework_due:
            fields.append(CardField(t("field.rework_due"), rework_due.isoformat()))
    else:
        allowed = authz.may_accept(ctx, request)
        key = keys.delivery_card(delivery.id)
        buttons = [button(ctx, "acceptance.pass", "button.pass", key=key, allowed=allowed, style="primary",
                          dv=delivery.id),
                   button(ctx, "acceptance.rework", "button.rework", key=key, allowed=allowed, dv=delivery.id),
                   button(ctx, "acceptance.fail", "button.fail", key=key, allowed=allowed, style="danger",
                          confirm_key="confirm.fail", dv=delivery.id)]
    tone = {"pass": "success", "fail": "danger", "rework": "warning"}.get(verdict, "info")
    return Card(title=t("delivery.title", number=request.number, round=delivery.round), tone=tone,
                fields=fields, buttons=buttons,
                mentions=[] if verdict else mention(ctx, request.initiator_id))


def delivery_form(ctx: Ctx, request: CollaborationRequest, standards: list[str]) -> Card:
    t = ctx.t
    return Card(title=t("form.delivery.title", number=request.number), tone="info", form=Form(
        form_id="request.deliver", submit_label=t("button.submit"), value={"r": request.id},
        inputs=[Input("deliverables", t("field.deliverables"), "textarea", required=True),
                Input("met", t("field.self_check"), "checkbox",
                      options=[Option(standard_id(s), s) for s in standards])]))


def completion_card(ctx: Ctx, request: CollaborationRequest, sides: list[int],
                    confirmed: list[Confirmation]) -> Card:
    """R21 协作完成确认函: both sides sign."""
    t = ctx.t
    done = {c.department_id: c for c in confirmed}
    fields, buttons, waiting = [], [], []
    for d in sides:
        c = done.get(d)
        fields.append(CardField(ctx.dept_name(d), t("raci.confirmed_by", who=ctx.person_name(c.person_id),
                                                     when=ctx.local_text(c.confirmed_at)) if c else t("raci.waiting")))
        if c is None:
            heads = authz.may_confirm_for(ctx, d)
            waiting += heads
            buttons.append(button(ctx, "completion.confirm", "button.confirm_for", key=keys.completion_card(request.id),
                                  allowed=heads, style="primary", label_args={"dept": ctx.dept_name(d)},
                                  r=request.id, d=d))
    return Card(title=t("completion.title", number=request.number, title=request.title),
                tone="success" if not waiting else "info", text=t("completion.text"), fields=fields,
                buttons=buttons, mentions=mentions(ctx, waiting))
