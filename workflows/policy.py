"""Every number of SPEC with its default; a workspace may override any of them in its settings.

The defaults must be exactly what SPEC writes — `tests/workflows/test_policy.py` pins them.
"""
from __future__ import annotations

from datetime import time
from typing import Any

from pydantic import BaseModel, ConfigDict


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    number_pattern: str = "XT-{year}-{seq:03d}"  # R2
    title_max: int = 20  # R1
    goal_max: int = 100  # R1
    vague_words: tuple[str, ...] = ("尽快", "大概", "差不多", "左右", "ASAP", "asap", "soon",
                                    "roughly", "about", "approximately")  # R3
    receipt_working_days: int = 1  # R28: collaborating heads/liaisons confirm receipt
    confirm_remind_hours: int = 24  # R6: remind heads who have not confirmed, then every N h
    daily_remind_at: time = time(16, 30)  # R7
    daily_due_at: time = time(17, 0)  # R7
    weekly_report_at: time = time(14, 30)  # R8 (meeting 15:00)
    weekly_report_weekday: int = 4  # Friday
    weekly_meeting_at: time = time(15, 0)  # R8/R29: the weekly meeting its minutes attach to
    risk_check_working_days: int = 2  # R10
    late_days_high_risk: int = 3  # R11 (more than 3 days late)
    issue_digest_at: time = time(12, 0)  # R13
    urgent_ack_hours: float = 2  # R14 → department head
    urgent_vp_hours: float = 2  # R14 → VP, counted from the head escalation
    solution_minutes: int = 15  # R14
    initiator_response_hours: int = 24  # R16
    initiator_escalate_hours: int = 4  # R16 "then tells the initiating head": hours after the reminder
    dispute_vp_hours: int = 24  # R15: unsettled by both heads → the VP (SPEC names no number)
    revision_working_days: int = 3  # R18
    rework_working_days: int = 3  # R20 default rework deadline when none is given
    issue_deadline_hours: int = 24  # R12 default 解决时限 when none is given
    archive_retention_years: int = 2  # R22
    wall_clock_hours: bool = True  # "2 hours"/"24 hours" wall-clock (False: working hours)
    missed_tick_horizon: str = "same_working_day"  # catch-up horizon for missed cron ticks


def policy_for(settings: dict[str, Any] | None) -> Policy:
    """The workspace's policy: defaults overlaid with its `policy` settings."""
    return Policy(**((settings or {}).get("policy") or {}))
