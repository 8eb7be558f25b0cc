"""The issue card (问题跟踪表, R12) and the escalation notes and pings (R14)."""
from __future__ import annotations

from storage.tables import CollaborationRequest, Issue
from workflows.issues.machine import ISSUE, EscalationStep, IssueState
from workflows.kernel import authz, keys
from workflows.cards import Card, CardField
from workflows.kernel.context import Ctx
from workflows.kernel.widgets import RISK_TONE, button, mention, mentions


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
        fields.append(CardField(t("field.involved"), ctx.join(ctx.dept_name(d) for d in issue.departments)))
    for key, value in (("field.scope", issue.scope), ("field.suggestion", issue.suggestion),
                       ("field.support_needed", issue.support),
                       ("field.solution", issue.solution)):
        if value:
            fields.append(CardField(t(key), value, short=False))
    if issue.acknowledged_at:
        fields.append(CardField(t("field.acknowledged"),
                                f"{ctx.person_name(issue.acknowledged_by)} · {ctx.local_text(issue.acknowledged_at)}"))
    if issue.escalation_level:
        fields.append(CardField(t("field.escalation"), t(f"escalation.{EscalationStep(issue.escalation_level).word}")))
    buttons = []
    if ISSUE.can(issue.state, "acknowledge"):
        buttons.append(button(ctx, "issue.ack", "button.ack", key=keys.issue_card(issue.id),
                              allowed=authz.may_acknowledge(ctx, issue), style="primary", i=issue.id))
    tone = "danger" if issue.urgent and issue.state == IssueState.OPEN else (
        "success" if issue.state == IssueState.RESOLVED else RISK_TONE[issue.severity])
    return Card(title=t("issue.title", ref=issue_ref(request, issue), text=issue.description[:40]),
                tone=tone, text=issue.description, fields=fields, buttons=buttons,
                mentions=mention(ctx, issue.owner_id) if issue.state == IssueState.OPEN else [])


def escalation_card(ctx: Ctx, request: CollaborationRequest, issue: Issue, *, step: EscalationStep,
                    to: int | None) -> Card:
    """R14: the urgent ping (and the group note) when nobody acknowledged in time; once the issue
    is acknowledged or resolved, the ping says so and its button is gone."""
    p = ctx.policy
    hours = p.urgent_ack_hours if step == EscalationStep.HEAD else p.urgent_ack_hours + p.urgent_vp_hours
    ref = issue_ref(request, issue)
    text = ctx.t("escalation.text", ref=ref, text=issue.description, dept=ctx.dept_name(issue.responsible_department_id),
                 hours=f"{hours:g}", raised=ctx.local_text(issue.raised_at), who=ctx.person_name(to))
    if not ISSUE.can(issue.state, "acknowledge"):
        when = issue.resolved_at if issue.resolved_at else issue.acknowledged_at
        done = ctx.t("escalation.done", ref=ref, state=ctx.t(f"issue_state.{issue.state}"),
                     who=ctx.person_name(issue.acknowledged_by), when=ctx.local_text(when))
        return Card(title=ctx.t(f"escalation.title.{step.word}", ref=ref), tone="success", text=f"{done}\n{text}")
    return Card(title=ctx.t(f"escalation.title.{step.word}", ref=ref), tone="danger", text=text,
                mentions=mention(ctx, to),
                buttons=[button(ctx, "issue.ack", "button.ack", key=keys.escalation_ping(issue.id, step.word),
                                allowed=authz.may_acknowledge(ctx, issue), style="primary", i=issue.id)])


def issue_notice(ctx: Ctx, request: CollaborationRequest, issue: Issue, *, key: str,
                 notify: list[int], **params: object) -> Card:
    return Card(title=ctx.t(f"{key}.title", ref=issue_ref(request, issue)), tone="warning",
                text=ctx.t(f"{key}.text", ref=issue_ref(request, issue), text=issue.description, **params),
                mentions=mentions(ctx, notify))
