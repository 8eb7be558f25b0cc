"""What the feedback domain answers: `feedback`/`反馈`, `reply`/`答复`, `revise`/`修订` (R16,
R18), `dispute`/`争议` and the settle button (R15), and their deadlines."""
from __future__ import annotations

from workflows.feedback import deadlines, disputes, feedback
from workflows.grammar.vocabulary import names
from workflows.kernel.routes import Routes

ROUTES = Routes(
    commands={
        "feedback": lambda ctx, c: feedback.give(ctx, number=c.ref, text=c.text, about_plan="plan" in c.words),
        "reply": lambda ctx, c: feedback.answer(ctx, number=c.ref, seq=c.sub, text=c.text),
        "revise": lambda ctx, c: feedback.revise(ctx, number=c.ref, seq=c.sub, note=c.text),
        "dispute": lambda ctx, c: disputes.raise_dispute(
            ctx, number=c.ref, text=str(c.fields.get("desc") or c.text or ""),
            depts=names(c.fields.get("dept") or c.fields.get("depts"))),
    },
    actions={"dispute.settle": lambda ctx, v: disputes.settle(ctx, dispute_id=v.id("x"))},
    forms={"dispute.settle": lambda ctx, f, v: disputes.settle(ctx, dispute_id=v.id("x"),
                                                               decision=str(f.get("reason") or ""))},
    timers={**deadlines.TIMERS, **disputes.TIMERS},
)
