"""Small pieces every card uses."""
from __future__ import annotations

from datetime import date
from typing import Any

from workflows.cards import Button, Card, Form, Input, Mention, Tone
from workflows.kernel.context import Ctx

STATE_TONE: dict[str, Tone] = {
    "submitted": "info", "approved": "info", "assigning": "info", "in_progress": "info",
    "delivered": "warning", "rework": "warning", "accepted": "success", "completed": "success",
    "archived": "neutral", "rejected": "danger", "cancelled": "neutral",
}
RISK_TONE: dict[str, Tone] = {"high": "danger", "medium": "warning", "low": "info"}


def day_text(day: date | None) -> str:
    return day.isoformat() if day else "—"


def mention(ctx: Ctx, person_id: int | None) -> list[Mention]:
    user = ctx.platform_user(person_id)
    return [Mention(user=user, name=ctx.person_name(person_id))] if user else []


def mentions(ctx: Ctx, person_ids: list[int]) -> list[Mention]:
    return [m for pid in dict.fromkeys(person_ids) for m in mention(ctx, pid)]


def button(ctx: Ctx, action_id: str, label_key: str, *, key: str, allowed: list[int],
           style: str = "default", confirm_key: str = "", label_args: dict[str, str] | None = None,
           **value: object) -> Button:
    """A button whose value names its card (`k`) so the clicked card is answered inline."""
    return Button(action_id=action_id, label=ctx.t(label_key, **(label_args or {})), value={"k": key, **value},
                  style=style, confirm=ctx.t(confirm_key) if confirm_key else "",  # type: ignore[arg-type]
                  allowed=[u for u in (ctx.platform_user(p) for p in allowed) if u])


def reason_form(ctx: Ctx, *, form_id: str, title: str, value: dict[str, Any],
                extra: list[Input] | None = None, initial: str = "") -> Card:
    """A negative button (驳回, 不通过, 返工, 拒绝) asks why before anything changes: the reason is
    recorded, shown on the card and sent to the side that must act."""
    inputs = [Input("reason", ctx.t("field.reason"), "textarea", required=True,
                    placeholder=ctx.t("placeholder.reason"), initial=initial or None), *(extra or [])]
    return Card(title=title, tone="warning",
                form=Form(form_id=form_id, submit_label=ctx.t("button.submit"), inputs=inputs, value=value))
