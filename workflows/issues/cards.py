"""The issue card (问题跟踪表, R12) and the escalation notes and pings (R14)."""
from __future__ import annotations

from storage.tables import CollaborationRequest, Issue
from workflows.kernel import authz
from workflows.cards import Card, CardField
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import RISK_TONE, button, mention, mentions


def issue_key(issue: Issue) -> str:
    return f"issue:{issue.id}"


def issue_ref(request: CollaborationRequest, issue: Issue) -> str:
    return f"{request.number}#{issue.seq}"


def issue_card(ctx: Ctx, request: CollaborationRequest, issue: Issue) -> Card:
    t = ctx.t
    fields = [
        CardField(t("field.state"), t(f"issue_state.{issue.state}")),
        CardField(t("field.severity"), t(f"risk.{issue.severity}") + (f" · {t('issue.urgent')}" if issue.urgent else "")),
        CardField(t("field.responsible"), ctx.dept_name(issue.responsible_department_id)),
        CardField(t("field.owner"), ctx.person_name(issue.owner_id)),
        CardField(t("field.deadline"), ctx.local_text(issue.deadline)),
        CardField(t("field.raised_by"), f"{ctx.person_name(issue.raised_by)} · {ctx.local_text(issue.raised_at)}"),
    ]
    if issue.departments:
        fields.append(CardField(t("field.involved"), "、".join(ctx.dept_name(d) for d in issue.departments)))
    for key, value in (("field.scope", issue.scope), ("field.suggestion", issue.suggestion),
                       ("field.solution", issue.solution)):
        if value:
            fields.append(CardField(t(key), value, short=False))
    if issue.acknowledged_at:
        fields.append(CardField(t("field.acknowledged"),
                                f"{ctx.person_name(issue.acknowledged_by)} · {ctx.local_text(issue.acknowledged_at)}"))
    if issue.escalation_level:
        fields.append(CardField(t("field.escalation"), t(f"escalation.level{issue.escalation_level}")))
    buttons = []
    if issue.state == "open":
        buttons.append(button(ctx, "issue.ack", "button.ack", key=issue_key(issue),
                              allowed=authz.may_acknowledge(ctx, issue), style="primary", i=issue.id))
    tone = "danger" if issue.urgent and issue.state == "open" else (
        "success" if issue.state == "resolved" else RISK_TONE[issue.severity])
    return Card(title=t("issue.title", ref=issue_ref(request, issue), text=issue.description[:40]),
                tone=tone, text=issue.description, fields=fields, buttons=buttons,
                mentions=mention(ctx, issue.owner_id) if issue.state == "open" else [])


def escalation_card(ctx: Ctx, request: CollaborationRequest, issue: Issue, *, level: int,
                    to: int | None) -> Card:
    """R14: the urgent ping (and the group note) when nobody acknowledged in time."""
    hours = ctx.policy.urgent_ack_hours if level == 1 else ctx.policy.urgent_ack_hours + ctx.policy.urgent_vp_hours
    return Card(title=ctx.t(f"escalation.title{level}", ref=issue_ref(request, issue)), tone="danger",
                text=ctx.t("escalation.text", ref=issue_ref(request, issue), text=issue.description,
                           dept=ctx.dept_name(issue.responsible_department_id), hours=f"{hours:g}",
                           raised=ctx.local_text(issue.raised_at), who=ctx.person_name(to)),
                mentions=mention(ctx, to),
                buttons=[button(ctx, "issue.ack", "button.ack", key=f"issuedm:{issue.id}",
                                allowed=authz.may_acknowledge(ctx, issue), style="primary", i=issue.id)])


def issue_notice(ctx: Ctx, request: CollaborationRequest, issue: Issue, *, key: str,
                 notify: list[int], **params: object) -> Card:
    return Card(title=ctx.t(f"{key}.title", ref=issue_ref(request, issue)), tone="warning",
                text=ctx.t(f"{key}.text", ref=issue_ref(request, issue), text=issue.description, **params),
                mentions=mentions(ctx, notify))
