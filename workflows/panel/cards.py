"""The vote card (R35): one line per collaborating department, pass/fail buttons for its head."""
from __future__ import annotations

from storage.tables import CollaborationRequest, Delivery, Vote
from workflows.cards import Button, Card, CardField
from workflows.kernel import authz, keys
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import button, mentions


def vote_card(ctx: Ctx, request: CollaborationRequest, delivery: Delivery, votes: list[Vote], *,
              footer: str = "") -> Card:
    t, key = ctx.t, keys.vote_card(delivery.id)  # type: ignore[arg-type]
    done = {v.department_id: v for v in votes}
    fields, buttons, waiting = [], [], []
    buttons: list[Button]
    for d in request.collaborating:
        v = done.get(d)
        fields.append(CardField(ctx.dept_name(d), t("panel.voted", verdict=t(f"verdict.{v.verdict}"),
                                                     who=ctx.person_name(v.person_id), reason=v.reason or "—")
                                if v else t("panel.waiting"), short=False))
        if v is None and not footer:
            heads = authz.may_confirm_for(ctx, d)
            waiting += heads
            label = {"dept": ctx.dept_name(d)}
            buttons += [button(ctx, "panel.pass", "button.panel_pass", key=key, allowed=heads, style="primary",
                               label_args=label, dv=delivery.id, d=d),
                        button(ctx, "panel.fail", "button.panel_fail", key=key, allowed=heads, style="danger",
                               label_args=label, dv=delivery.id, d=d)]
    return Card(title=t("panel.title", number=request.number, round=delivery.round),
                tone="success" if footer else "info",
                text=t(f"panel.rule.{request.acceptance_rule}"), fields=fields, buttons=buttons, footer=footer,
                mentions=mentions(ctx, waiting))
