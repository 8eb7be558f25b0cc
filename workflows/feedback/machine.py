"""Feedback (R16: answered by the initiator within 24 h; R18: a plan revised within 3 working
days) and disputes (R15: liaisons → both heads → the VP, then settled) as pure tables.

Feedback keeps its state in its timestamps (`answered_at`, `revised_at`); `feedback_state` and
`revision_state` read them, so the tables below guard it like every other entity."""
from __future__ import annotations

from enum import StrEnum

from storage.tables import Feedback
from workflows.kernel.machine import Machine


class FeedbackState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


class RevisionState(StrEnum):
    NONE = "none"  # not about a plan document
    PENDING = "pending"
    REVISED = "revised"


class DisputeState(StrEnum):
    OPEN = "open"
    SETTLED = "settled"


FEEDBACK = Machine("feedback", FeedbackState, {(FeedbackState.OPEN, "answer"): FeedbackState.ANSWERED})
REVISION = Machine("revision", RevisionState, {(RevisionState.PENDING, "revise"): RevisionState.REVISED})
DISPUTE = Machine("dispute", DisputeState, {
    (DisputeState.OPEN, "escalate"): DisputeState.OPEN,  # heads did not settle in time → the VP
    (DisputeState.OPEN, "settle"): DisputeState.SETTLED,
})


def feedback_state(fb: Feedback) -> FeedbackState:
    return FeedbackState.ANSWERED if fb.answered_at else FeedbackState.OPEN


def revision_state(fb: Feedback) -> RevisionState:
    if not fb.about_plan:
        return RevisionState.NONE
    return RevisionState.REVISED if fb.revised_at else RevisionState.PENDING
