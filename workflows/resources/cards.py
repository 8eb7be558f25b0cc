"""The resource roll-up (R33) and the VP's approval card — pure rendering."""
from __future__ import annotations

from storage.tables import CollaborationRequest, ResourceLine
from workflows.cards import Card, CardField
from workflows.kernel import authz, keys
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import button, mentions

DIMENSIONS = ("people", "days", "budget")


def _num(x: float) -> str:
    return f"{x:g}"


def over(need: ResourceLine, available: ResourceLine | None) -> list[str]:
    """The dimensions where the need exceeds what the department declared available."""
    if available is None:
        return []
    return [d for d in DIMENSIONS if getattr(need, d) > getattr(available, d)]


def rollup(ctx: Ctx, lines: list[ResourceLine]) -> tuple[list[CardField], list[int]]:
    """One field per department (need, available, ⚠ where exceeded), a total; and the flagged
    departments."""
    t = ctx.t
    by = {(x.department_id, x.kind): x for x in lines}
    fields, flagged = [], []
    for dept in dict.fromkeys(x.department_id for x in lines if x.kind == "need"):
        need, avail = by[(dept, "need")], by.get((dept, "available"))
        text = t("resources.line", people=need.people, days=_num(need.days), budget=_num(need.budget),
                 tools=need.tools or "—")
        if avail:
            text += "\n" + t("resources.available", people=avail.people, days=_num(avail.days),
                             budget=_num(avail.budget))
        if exceeded := over(need, avail):
            flagged.append(dept)
            text += "\n⚠ " + t("resources.over", what="、".join(t(f"resources.{d}") for d in exceeded))
        fields.append(CardField(ctx.dept_name(dept), text, short=False))
    needs = [x for x in lines if x.kind == "need"]
    fields.append(CardField(t("resources.total"), t("resources.line", people=sum(x.people for x in needs),
                                                    days=_num(sum(x.days for x in needs)),
                                                    budget=_num(sum(x.budget for x in needs)), tools="—"),
                            short=False))
    return fields, flagged


def resources_card(ctx: Ctx, request: CollaborationRequest, lines: list[ResourceLine], *, approved: str = "",
                   submittable: bool = True) -> Card:
    fields, flagged = rollup(ctx, lines)
    key = keys.resources_card(request.id)
    buttons = [button(ctx, "resources.submit", "button.resources_submit", key=key,
                      allowed=authz.may_manage(ctx, request), r=request.id)] if submittable and not approved else []
    text = ctx.t("resources.flagged", depts="、".join(ctx.dept_name(d) for d in flagged)) if flagged else ""
    return Card(title=ctx.t("resources.title", number=request.number, title=request.title),
                tone="warning" if flagged else "info", text=text, fields=fields, buttons=buttons, footer=approved,
                mentions=mentions(ctx, authz.may_review(ctx, request)) if request.state == "submitted" else [])


def approval_card(ctx: Ctx, request: CollaborationRequest, lines: list[ResourceLine], vps: list[int], *,
                  footer: str = "") -> Card:
    fields, flagged = rollup(ctx, lines)
    key = keys.resources_approval(request.id)
    buttons = [] if footer else [
        button(ctx, "resources.approve", "button.approve", key=key, allowed=vps, style="primary", r=request.id),
        button(ctx, "resources.reject", "button.reject", key=key, allowed=vps, style="danger", r=request.id)]
    return Card(title=ctx.t("resources.approval.title", number=request.number, title=request.title),
                tone="warning" if flagged else "info", fields=fields, buttons=buttons, footer=footer,
                mentions=mentions(ctx, vps))
