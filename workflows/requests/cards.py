"""The request card (R1) — the one card that follows a request through its whole life."""
from __future__ import annotations

from typing import Any

from storage.tables import CollaborationRequest
from workflows.grammar.vocabulary import split_items
from workflows.kernel import authz, keys
from workflows.cards import Card, CardField, Form, Input, Option
from workflows.kernel.context import Ctx
from workflows.receipts.cards import received_text
from workflows.requests.machine import REQUEST
from workflows.kernel.widgets import STATE_TONE, button, day_text, mention


def contact_text(ctx: Ctx, contact: Any) -> str:
    """`李强（分机8021）`; rows filed before contacts carried a way hold a bare person id."""
    if isinstance(contact, dict):
        way = contact.get("way") or ""
        who = ctx.person_name(contact.get("person"))
        return ctx.t("contact.with_way", who=who, way=way) if way else who
    return ctx.person_name(contact)


def request_card(ctx: Ctx, request: CollaborationRequest, *, warnings: list[str] | None = None,
                 footer: str = "") -> Card:
    t = ctx.t
    collaborating = ctx.join(ctx.dept_name(d) for d in request.collaborating)
    milestones = ctx.join_items(f"{m['name']} {m['date']}" for m in request.milestones) or "—"
    content = "\n".join(f"{ctx.dept_name(int(d))}: {text}" for d, text in request.content.items())
    contacts = "\n".join(f"{ctx.dept_name(int(d))}: {contact_text(ctx, c)}" for d, c in request.contacts.items())
    fields = [
        CardField(t("field.state"), t(f"state.{request.state}")),
        CardField(t("field.initiator"),
                  f"{ctx.dept_name(request.initiating_department_id)} · {ctx.person_name(request.initiator_id)}"),
        CardField(t("field.collaborating"), collaborating),
        CardField(t("field.due"), day_text(request.due_date)),
        CardField(t("field.goal"), request.goal or "—", short=False),
        CardField(t("field.standard"), request.standard or "—", short=False),
        CardField(t("field.milestones"), milestones, short=False),
    ]
    if content:
        fields.append(CardField(t("field.content"), content, short=False))
    if contacts:
        fields.append(CardField(t("field.contacts"), contacts, short=False))
    if request.scope_in or request.scope_out:  # R34
        fields += [CardField(t("field.in_scope"), request.scope_in or "—", short=False),
                   CardField(t("field.out_scope"), request.scope_out or "—", short=False)]
    if request.collaborating and request.state != "submitted":  # R28 who has received it
        fields.append(CardField(t("field.received"), received_text(ctx, request), short=False))
    if request.reason:
        fields.append(CardField(t("field.reason"), request.reason, short=False))
    key = keys.request_card(request.id)
    buttons = []
    if REQUEST.can(request.state, "approve"):
        reviewers = authz.may_review(ctx, request)
        buttons = [
            button(ctx, "request.approve", "button.approve", key=key, allowed=reviewers,
                   style="primary", r=request.id),
            button(ctx, "request.reject", "button.reject", key=key, allowed=reviewers,
                   style="danger", confirm_key="confirm.reject", r=request.id),
        ]
    text = "\n".join(f"⚠ {w}" for w in warnings or [])
    head = ctx.dept(request.initiating_department_id)
    return Card(title=f"[{request.number}] {request.title}", tone=STATE_TONE[request.state],
                text=text, fields=fields, buttons=buttons, footer=footer,
                mentions=mention(ctx, head.head_id) if REQUEST.can(request.state, "approve") and head else [])


def request_form(ctx: Ctx, *, initial: dict | None = None) -> Card:
    """The request form (R1) for `/collab new` without fields."""
    t = ctx.t
    initial = initial or {}
    depts = [Option(value=d.name, label=d.name) for d in ctx.departments()]
    inputs = [
        Input("title", t("field.title"), required=True, max_length=ctx.policy.title_max,
              placeholder=t("placeholder.title")),
        Input("goal", t("field.goal"), "textarea", required=True, max_length=ctx.policy.goal_max),
        Input("depts", t("field.collaborating"), "multiselect", required=True, options=depts),
        Input("due", t("field.due"), "date", required=True),
        Input("standard", t("field.standard"), "textarea", required=True,
              placeholder=t("placeholder.standard")),
        Input("milestones", t("field.milestones"), "textarea", placeholder=t("placeholder.milestones")),
        Input("content", t("field.content"), "textarea", placeholder=t("placeholder.content")),
        Input("in_scope", t("field.in_scope"), "textarea"),  # R34
        Input("out_scope", t("field.out_scope"), "textarea"),
    ]
    for i in inputs:
        i.initial = initial.get(i.name)
    return Card(title=t("form.request.title"), tone="info",
                form=Form(form_id="request.new", submit_label=t("button.submit"), inputs=inputs))


def _example_task(ctx: Ctx, request: CollaborationRequest) -> dict[str, str]:
    """The split example with this request's own values: a collaborating department, a person of
    it, the request's due date and first standard — something to copy, not a made-up 李强 8/10."""
    dept = ctx.dept(request.collaborating[0]) if request.collaborating else None
    people = ctx.members(dept.id) if dept else []
    owner = ctx.person(dept.liaison_id) if dept and dept.liaison_id else (people[0] if people else None)
    due = request.due_date or ctx.calendar.add_working_days(ctx.today, 10)
    return {"dept": dept.name if dept else "—", "owner": owner.name if owner else "—",
            "due": f"{due.month}/{due.day}", "standard": (split_items(request.standard) or ["…"])[0]}


def assign_prompt_card(ctx: Ctx, request: CollaborationRequest) -> Card:
    """After approval (R4 → R5): ask the initiating side to split the work."""
    return Card(title=ctx.t("assign.prompt.title", number=request.number), tone="info",
                text=ctx.t("assign.prompt.text", number=request.number, **_example_task(ctx, request)),
                mentions=mention(ctx, request.initiator_id),
                buttons=[button(ctx, "raci.open", "button.assign", key=keys.assign_prompt(request.id),
                                allowed=authz.may_manage(ctx, request), style="primary", r=request.id)])
