"""Every number of SPEC, pinned: a workspace may change any of them, but the default must be
exactly what the guidelines write."""
from __future__ import annotations

from datetime import time

from workflows.policy import Policy, policy_for


def test_the_defaults_are_specs_numbers() -> None:
    p = Policy()
    assert p.number_pattern.format(year=2026, seq=15) == "XT-2026-015"  # R2
    assert (p.title_max, p.goal_max) == (20, 100)  # R1
    assert {"尽快", "大概", "差不多", "ASAP", "soon"} <= set(p.vague_words)  # R3
    assert p.confirm_remind_hours == 24  # R6 (like R16's 24 h)
    assert p.receipt_working_days == 1  # R28
    assert p.weekly_meeting_at == time(15, 0)  # R8/R29: the Friday meeting the minutes attach to
    assert (p.daily_remind_at, p.daily_due_at) == (time(16, 30), time(17, 0))  # R7
    assert (p.weekly_report_weekday, p.weekly_report_at) == (4, time(14, 30))  # R8: Friday, before 15:00
    assert p.risk_check_working_days == 2  # R10
    assert p.late_days_high_risk == 3  # R11
    assert p.issue_digest_at == time(12, 0)  # R13
    assert (p.urgent_ack_hours, p.urgent_vp_hours, p.solution_minutes) == (2, 2, 15)  # R14
    assert p.initiator_response_hours == 24  # R16
    assert p.revision_working_days == 3  # R18
    assert p.archive_retention_years == 2  # R22


def test_a_workspace_overrides_one_number_and_keeps_the_rest() -> None:
    p = policy_for({"policy": {"urgent_ack_hours": 1}})
    assert p.urgent_ack_hours == 1 and p.urgent_vp_hours == 2
