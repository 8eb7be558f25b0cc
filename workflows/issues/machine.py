"""An issue's life (R12, R14): open → acknowledged → resolved, and its escalation steps — the
2-hour rule's head step and VP step — named, so they travel as words, not bare integers."""
from __future__ import annotations

from enum import IntEnum, StrEnum

from workflows.kernel.machine import Machine, from_every


class IssueState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class EscalationStep(IntEnum):
    """Stored as `issue.escalation_level`; sent to adapters by `name` (`head`, `vp`)."""

    NONE = 0
    HEAD = 1  # R14: 2 h unacknowledged → the responsible department's head
    VP = 2  # R14: 2 h more → the supervising VP

    @property
    def word(self) -> str:
        return self.name.lower()


I = IssueState
UNRESOLVED = frozenset({I.OPEN, I.ACKNOWLEDGED})

ISSUE = Machine("issue", IssueState, {
    (I.OPEN, "acknowledge"): I.ACKNOWLEDGED,
    (I.OPEN, "escalate"): I.OPEN,
    **from_every(UNRESOLVED, "resolve", I.RESOLVED),
})
