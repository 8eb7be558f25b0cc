"""What the changes domain answers: `change`/`变更` and the sign/reject buttons (R17)."""
from __future__ import annotations

from workflows.changes import service
from workflows.changes.service import ChangeDraft
from workflows.kernel.routes import Routes

ROUTES = Routes(
    commands={"change": lambda ctx, c: service.propose(ctx, number=c.ref, draft=ChangeDraft.of(c.fields, text=c.text))},
    actions={
        "change.approve": lambda ctx, v: service.decide(ctx, change_id=v.id("c"), dept_id=v.id("d"), approve=True),
        "change.reject": lambda ctx, v: service.decide(ctx, change_id=v.id("c"), dept_id=None, approve=False),
    },
    forms={"change.reject": lambda ctx, f, v: service.decide(ctx, change_id=v.id("c"), dept_id=None, approve=False,
                                                             reason=str(f.get("reason") or ""))},
)
