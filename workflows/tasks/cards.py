"""Cards of the RACI split (R5/R6), the risk check (R10) and the forms that fill them."""
from __future__ import annotations

from storage.tables import CollaborationRequest, Confirmation, Task
from workflows.kernel import authz, keys
from workflows.cards import Card, CardField, Form, Input, Option
from workflows.kernel.context import Ctx
from workflows.requests.machine import allows
from workflows.kernel.widgets import RISK_TONE, button, day_text, mention, mentions


def task_line(ctx: Ctx, task: Task) -> str:
    t = ctx.t
    parts = [f"**{task.seq}. {task.title}**",
             f"R {ctx.dept_name(task.lead_department_id)}",
             f"{t('field.owner')} {ctx.person_name(task.owner_id)}",
             f"{day_text(task.start_date)} → {day_text(task.due_date)}"]
    if task.accountable_department_id:
        parts.append(f"A {ctx.dept_name(task.accountable_department_id)}")
    for label, ids in (("C", task.consulted), ("I", task.informed), (t("field.support"), task.supporting)):
        if ids:
            parts.append(f"{label} {'、'.join(ctx.dept_name(d) for d in ids)}")
    if task.standard:
        parts.append(f"{t('field.standard')} {task.standard}")
    parts.append(f"{t('field.status')} {t(f'status.{task.status}')} · {t('field.risk')} {t(f'risk.{task.risk}')}")
    return " · ".join(parts)


def raci_card(ctx: Ctx, request: CollaborationRequest, tasks: list[Task],
              confirmed: list[Confirmation]) -> Card:
    t = ctx.t
    done = {c.department_id: c for c in confirmed}
    fields, buttons, waiting = [], [], []
    for d in authz.involved_departments(request, tasks):
        c = done.get(d)
        if c:
            value = t("raci.confirmed_by", who=ctx.person_name(c.person_id), when=ctx.local_text(c.confirmed_at))
        else:
            value = t("raci.waiting")
            heads = authz.may_confirm_for(ctx, d)
            waiting += heads
            if allows(request.state, "confirm"):
                buttons.append(button(ctx, "task.confirm", "button.confirm_for", key=keys.raci_card(request.id),
                                      allowed=heads, style="primary", label_args={"dept": ctx.dept_name(d)},
                                      r=request.id, d=d))
        fields.append(CardField(ctx.dept_name(d), value))
    return Card(title=t("raci.title", number=request.number, title=request.title),
                tone="success" if not waiting else "info",
                text="\n".join(task_line(ctx, task) for task in tasks), fields=fields,
                buttons=buttons, mentions=mentions(ctx, waiting) if allows(request.state, "confirm") else [])


def raci_form(ctx: Ctx, request: CollaborationRequest) -> Card:
    t = ctx.t
    depts = [Option(d.name, d.name) for d in ctx.departments()]
    people = [Option(p.key, f"{p.name} · {ctx.dept_name(p.department_id)}")
              for d in ctx.departments() for p in ctx.members(d.id)]
    inputs = [
        Input("task", t("field.task"), required=True),
        Input("lead", t("field.lead"), "select", required=True, options=depts),
        Input("owner", t("field.owner"), "select", required=True, options=people),
        Input("start", t("field.start"), "date"),
        Input("due", t("field.due"), "date", required=True),
        Input("standard", t("field.standard"), "textarea", required=True),
        Input("support", t("field.support"), "multiselect", options=depts),
        Input("accountable", "A · " + t("field.accountable"), "select", options=depts),
        Input("consulted", "C · " + t("field.consulted"), "multiselect", options=depts),
        Input("informed", "I · " + t("field.informed"), "multiselect", options=depts),
    ]
    return Card(title=t("form.raci.title", number=request.number), tone="info",
                form=Form(form_id="request.assign", submit_label=t("button.add_task"),
                          inputs=inputs, value={"r": request.id}))


def risk_check_card(ctx: Ctx, request: CollaborationRequest, task: Task) -> Card:
    """R10: two working days before the due date, ask the owner how it stands."""
    key = keys.risk_check(task.id)
    allowed = authz.may_update_task(ctx, task)
    return Card(
        title=t_title(ctx, "riskcheck.title", request, task), tone="warning",
        text=ctx.t("riskcheck.text", due=day_text(task.due_date)),
        mentions=mention(ctx, task.owner_id),
        buttons=[button(ctx, "task.on_track", "button.on_track", key=key, allowed=allowed,
                        style="primary", t=task.id),
                 button(ctx, "task.at_risk", "button.at_risk", key=key, allowed=allowed, t=task.id),
                 button(ctx, "task.will_be_late", "button.will_be_late", key=key, allowed=allowed,
                        style="danger", t=task.id)])


def task_alert_card(ctx: Ctx, request: CollaborationRequest, task: Task, *, key: str,
                    notify: list[int], **params: object) -> Card:
    """Overdue (R9), late re-plan (R11), risk answers (R10): one shape, different words."""
    return Card(title=t_title(ctx, f"{key}.title", request, task, **params), tone=RISK_TONE.get(task.risk, "warning"),
                text=ctx.t(f"{key}.text", task=task.title, owner=ctx.person_name(task.owner_id),
                           due=day_text(task.due_date), **params),
                mentions=mentions(ctx, notify))


def t_title(ctx: Ctx, key: str, request: CollaborationRequest, task: Task, **params: object) -> str:
    return ctx.t(key, number=request.number, seq=task.seq, task=task.title, **params)
