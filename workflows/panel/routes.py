"""What the panel answers (R35): `panel`/`验收小组` (choose the rule), `vote`/`投票`, the
pass/fail buttons on the vote card, and the reminder."""
from __future__ import annotations

from workflows.kernel.routes import Routes
from workflows.panel import service


def _vote(choice: str):
    return lambda ctx, v: service.vote(ctx, delivery_id=v.id("dv"), dept_id=v.id("d"), choice=choice,
                                       reason=v.text("reason"))


ROUTES = Routes(
    commands={
        "panel": lambda ctx, c: service.choose(
            ctx, number=c.ref, rule=next((w for w in c.words if w in ("unanimous", "initiator_decides")), None)),
        "vote": lambda ctx, c: service.vote_typed(
            ctx, number=c.ref, choice=next((w for w in c.words if w in ("pass", "fail")), None), reason=c.text),
    },
    actions={"panel.pass": _vote("pass"), "panel.fail": _vote("fail")},
    timers=service.TIMERS,
)
