"""What the meetings domain answers (R29): `kickoff`/`启动会`, `minutes`/`纪要` (`周会` for the
Friday meeting), and the meeting timers."""
from __future__ import annotations

from workflows.kernel.routes import Routes
from workflows.meetings import service
from workflows.meetings.service import KickoffDraft

ROUTES = Routes(
    commands={
        "kickoff": lambda ctx, c: service.kickoff(ctx, number=c.ref, draft=KickoffDraft.of(c.fields)),
        "minutes": lambda ctx, c: service.minutes(
            ctx, number=c.ref, seq=c.sub, weekly="weekly" in c.words,
            decisions=list(c.fields.get("decisions") or []), actions=list(c.fields.get("items") or [])),
    },
    timers=service.TIMERS,
)
