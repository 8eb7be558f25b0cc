"""The life of a request (SPEC "The life of a collaboration request") as a pure table, and the
one guard (`require`) that every command, click and timer touching a request passes first.

Besides its transitions a request *allows activities* in some states only: daily posts while it
runs, issues and feedback until it closes, lessons (R23) only after. A completed, cancelled,
rejected or archived request refuses everything but viewing and the retrospective — and
archiving, the one step left after completion (R22)."""
from __future__ import annotations

from enum import StrEnum

from workflows.kernel.machine import Machine, from_every


class RequestState(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    ASSIGNING = "assigning"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    REWORK = "rework"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    ARCHIVED = "archived"
    CANCELLED = "cancelled"


S = RequestState
CLOSED = frozenset({S.COMPLETED, S.ARCHIVED, S.CANCELLED, S.REJECTED})  # nothing changes any more
LIVE = frozenset(S) - CLOSED
RUNNING = frozenset({S.IN_PROGRESS, S.REWORK, S.DELIVERED})  # R7 posts, R9–R11 task clocks
EXECUTING = frozenset({S.IN_PROGRESS, S.REWORK})  # R7 rhythm: owners still at work

REQUEST = Machine("request", RequestState, {
    (S.SUBMITTED, "approve"): S.APPROVED,  # R4
    (S.SUBMITTED, "reject"): S.REJECTED,
    (S.APPROVED, "assign"): S.ASSIGNING,  # R5
    (S.ASSIGNING, "assign"): S.ASSIGNING,
    (S.ASSIGNING, "confirm_all"): S.IN_PROGRESS,  # R6
    (S.IN_PROGRESS, "deliver"): S.DELIVERED,  # R19
    (S.REWORK, "deliver"): S.DELIVERED,
    (S.DELIVERED, "pass"): S.ACCEPTED,  # R20
    (S.DELIVERED, "fail"): S.REWORK,
    (S.DELIVERED, "rework"): S.REWORK,
    (S.ACCEPTED, "complete"): S.COMPLETED,  # R21
    (S.COMPLETED, "archive"): S.ARCHIVED,  # R22
    **from_every(LIVE, "cancel", S.CANCELLED),
})

# activity → the states that allow it (transitions are checked by REQUEST itself)
ALLOWED: dict[str, frozenset[RequestState]] = {
    "view": frozenset(S),
    "review": frozenset({S.SUBMITTED}),  # R4
    "lesson": frozenset({S.COMPLETED, S.ARCHIVED}),  # R23
    "receive": LIVE - {S.SUBMITTED},  # R28 receipt, once approved
    "meeting": LIVE - {S.SUBMITTED},  # R29 kick-off and minutes
    "assign": frozenset({S.APPROVED, S.ASSIGNING}),  # R5
    "confirm": frozenset({S.ASSIGNING}),  # R6
    "progress": RUNNING,  # R7 daily posts
    "task": RUNNING | {S.ASSIGNING},  # R9 status by hand, R10 answers
    "issue": LIVE,  # R12, R14
    "feedback": LIVE,  # R16, R18
    "dispute": LIVE,  # R15
    "change": frozenset({S.ASSIGNING, S.IN_PROGRESS, S.REWORK, S.DELIVERED}),  # R17
    "deliver": EXECUTING,  # R19
    "complete": frozenset({S.ACCEPTED}),  # R21
    "archive": frozenset({S.COMPLETED}),  # R22
    "cancel": LIVE,
}


def allows(state: str, activity: str) -> bool:
    return RequestState(state) in ALLOWED[activity]
