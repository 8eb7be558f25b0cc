"""A risk's life (R32) as a pure table: open until its trigger is met (→ raised: an issue now
carries it) or someone closes it; a raised risk is closed once handled."""
from __future__ import annotations

from enum import StrEnum

from workflows.kernel.machine import Machine


class RiskState(StrEnum):
    OPEN = "open"
    RAISED = "raised"
    CLOSED = "closed"


R = RiskState
RISK = Machine("risk", RiskState, {
    (R.OPEN, "trigger"): R.RAISED,  # the date came, or someone saw it happen
    (R.OPEN, "close"): R.CLOSED,
    (R.RAISED, "close"): R.CLOSED,
})
LISTED = frozenset({R.OPEN, R.RAISED})  # what the weekly report (R8) still lists
