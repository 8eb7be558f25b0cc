"""The life of a request (SPEC) as a pure transition table; every service asks it first."""
from __future__ import annotations

TRANSITIONS: dict[tuple[str, str], str] = {
    ("submitted", "approve"): "approved",
    ("submitted", "reject"): "rejected",
    ("approved", "assign"): "assigning",
    ("assigning", "assign"): "assigning",
    ("assigning", "confirm_all"): "in_progress",
    ("in_progress", "deliver"): "delivered",
    ("rework", "deliver"): "delivered",
    ("delivered", "pass"): "accepted",
    ("delivered", "fail"): "rework",
    ("delivered", "rework"): "rework",
    ("accepted", "complete"): "completed",
    ("completed", "archive"): "archived",
}
FINAL = {"archived", "cancelled", "rejected"}
CHANGEABLE = {"assigning", "in_progress", "rework", "delivered"}  # R17 plan changes
ACTIVE = {"in_progress", "rework", "delivered"}  # daily posts, issues, status updates


class InvalidTransition(ValueError):
    def __init__(self, state: str, action: str) -> None:
        super().__init__(f"{action} not allowed in state {state}")
        self.state, self.action = state, action


def next_state(state: str, action: str) -> str:
    if action == "cancel":
        if state in FINAL:
            raise InvalidTransition(state, action)
        return "cancelled"
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransition(state, action) from None
