"""What the issues domain answers: `issue`/`问题`, `ack`/`响应`, `resolve`/`解决`, the [响应]
button, the 2-hour rule's timers and the 12:00 digest."""
from __future__ import annotations

from workflows.issues import digest, escalation, service
from workflows.issues.service import IssueDraft
from workflows.kernel.routes import Routes

ROUTES = Routes(
    commands={
        "issue": lambda ctx, c: service.raise_issue(
            ctx, number=c.ref, draft=IssueDraft.of(c.fields, text=c.text, urgent="urgent" in c.words)),
        "ack": lambda ctx, c: service.acknowledge(ctx, number=c.ref, seq=c.sub, note=c.text),
        "resolve": lambda ctx, c: service.resolve(
            ctx, number=c.ref, seq=c.sub, solution=str(c.fields.get("solution") or c.text or "")),
    },
    actions={"issue.ack": lambda ctx, v: service.acknowledge(ctx, issue_id=v.id("i"))},
    timers=escalation.TIMERS,
    jobs=digest.JOBS,
)
