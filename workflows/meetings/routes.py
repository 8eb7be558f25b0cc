"""What the meetings domain answers (R29): `kickoff`/`启动会`, `minutes`/`纪要` (`周会` for the
Friday meeting), `huddle`/`碰头会` (R36), and the meeting timers."""
from __future__ import annotations

from workflows.kernel.routes import Routes
from workflows.meetings import huddle, service
from workflows.meetings.service import KickoffDraft

ROUTES = Routes(
    commands={
        "kickoff": lambda ctx, c: service.kickoff(ctx, number=c.ref, draft=KickoffDraft.of(c.fields)),
        "minutes": lambda ctx, c: service.minutes(
            ctx, number=c.ref, seq=c.sub, weekly="weekly" in c.words,
            decisions=list(c.fields.get("decisions") or []), actions=list(c.fields.get("items") or [])),
        "huddle": lambda ctx, c: huddle.huddle(ctx, number=c.ref, seq=c.sub, when=str(c.fields.get("time") or ""),
                                               outcome=str(c.fields.get("outcome") or "").strip()),  # R36
    },
    timers={**service.TIMERS, **huddle.TIMERS},
)
