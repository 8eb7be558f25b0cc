"""A plan change (R17): proposed → approved once every involved head has signed, or rejected."""
from __future__ import annotations

from enum import StrEnum

from workflows.kernel.machine import Machine


class ChangeState(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


C = ChangeState
CHANGE = Machine("change", ChangeState, {
    (C.PROPOSED, "apply"): C.APPROVED,  # the last signature
    (C.PROPOSED, "reject"): C.REJECTED,
})
