"""Cron ticks (R7, R8, R13) on working days only, in the workspace's zone, with catch-up rules."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from workflows.calendar import WorkCalendar
from workflows.policy import Policy
from workflows.kernel.ticks import (DAILY_SUMMARY, WEEKLY_REPORT, catch_up_since, due_ticks,
                             parse_horizon, weekly_report_day)

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
CN = WorkCalendar(country="CN", tz="Asia/Shanghai")
POLICY = Policy()


def local(day: date, hh: int, mm: int = 0, tz: ZoneInfo = SH) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=tz).astimezone(timezone.utc)


def days_of(ticks, job):
    return [t.day for t in ticks if t.job == job]


def test_daily_summary_skips_the_labour_day_holiday_and_runs_on_the_make_up_saturday():
    ticks = due_ticks(calendar=CN, policy=POLICY, since=local(date(2026, 4, 30), 0),
                      until=local(date(2026, 5, 10), 23))
    assert days_of(ticks, DAILY_SUMMARY) == [date(2026, 4, 30), date(2026, 5, 6),
                                             date(2026, 5, 7), date(2026, 5, 8),
                                             date(2026, 5, 9)]  # Sat 5/9 is 调休
    saturday = [t for t in ticks if t.day == date(2026, 5, 9)]
    assert [(t.job, t.due_at) for t in saturday] == [
        ("issue.digest", local(date(2026, 5, 9), 12)),
        ("daily.remind", local(date(2026, 5, 9), 16, 30)),
        ("daily.summary", local(date(2026, 5, 9), 17))]
    assert {t.period for t in saturday} == {"2026-05-09"}


def test_weekly_report_on_friday_or_the_last_working_day_before_a_holiday_friday():
    ticks = due_ticks(calendar=CN, policy=POLICY, since=local(date(2026, 4, 27), 0),
                      until=local(date(2026, 5, 17), 0))
    reports = [(t.period, t.due_at) for t in ticks if t.job == WEEKLY_REPORT]
    assert reports == [("2026-W18", local(date(2026, 4, 30), 14, 30)),  # Fri 5/1 is a holiday
                       ("2026-W19", local(date(2026, 5, 8), 14, 30)),
                       ("2026-W20", local(date(2026, 5, 15), 14, 30))]


def test_a_week_off_until_friday_reports_on_its_make_up_saturday():
    week = [date(2026, 11, 9) + timedelta(days=n) for n in range(5)]
    calendar = WorkCalendar(country="CN", tz="Asia/Shanghai", extra_holidays=frozenset(week),
                            extra_workdays=frozenset({date(2026, 11, 14)}))
    assert weekly_report_day(calendar=calendar, policy=POLICY,
                             day=date(2026, 11, 11)) == date(2026, 11, 14)
    only_holidays = WorkCalendar(country="CN", tz="Asia/Shanghai",
                                 extra_holidays=frozenset(week))
    assert weekly_report_day(calendar=only_holidays, policy=POLICY,
                             day=date(2026, 11, 11)) is None


def test_new_york_ticks_keep_local_wall_time_across_both_dst_switches():
    ny = WorkCalendar(country="US", tz="America/New_York")
    spring = due_ticks(calendar=ny, policy=POLICY, since=local(date(2026, 3, 6), 0, tz=NY),
                       until=local(date(2026, 3, 10), 0, tz=NY))
    summaries = [t.due_at for t in spring if t.job == DAILY_SUMMARY]
    assert summaries == [datetime(2026, 3, 6, 22, 0, tzinfo=timezone.utc),  # EST, UTC-5
                         datetime(2026, 3, 9, 21, 0, tzinfo=timezone.utc)]  # EDT, UTC-4
    autumn = due_ticks(calendar=ny, policy=POLICY, since=local(date(2026, 10, 30), 0, tz=NY),
                       until=local(date(2026, 11, 3), 0, tz=NY))
    assert [t.due_at.hour for t in autumn if t.job == DAILY_SUMMARY] == [21, 22]


def test_policy_times_and_weekday_are_the_workspace_settings():
    policy = Policy(daily_due_at=time(18, 0), weekly_report_weekday=3,
                    weekly_report_at=time(10, 0))
    ticks = due_ticks(calendar=CN, policy=policy, since=local(date(2026, 6, 8), 0),
                      until=local(date(2026, 6, 14), 0))
    assert {t.due_at for t in ticks if t.job == DAILY_SUMMARY} == {
        local(date(2026, 6, d), 18) for d in range(8, 13)}
    assert [t.due_at for t in ticks if t.job == WEEKLY_REPORT] == [local(date(2026, 6, 11), 10)]


def test_window_bounds_are_exclusive_then_inclusive():
    at_17 = local(date(2026, 6, 10), 17)
    assert [t.job for t in due_ticks(calendar=CN, policy=POLICY, since=at_17 - timedelta(
        seconds=1), until=at_17)] == [DAILY_SUMMARY]
    assert due_ticks(calendar=CN, policy=POLICY, since=at_17, until=at_17 + timedelta(
        minutes=1)) == []


def test_same_working_day_horizon_catches_up_today_but_not_yesterday():
    horizon = parse_horizon("same_working_day")
    slack = timedelta(seconds=45)
    restart = local(date(2026, 6, 10), 17, 40)
    since = catch_up_since(calendar=CN, now=restart, horizon=horizon, slack=slack)
    missed = due_ticks(calendar=CN, policy=POLICY, since=since, until=restart)
    assert [t.job for t in missed] == ["issue.digest", "daily.remind", "daily.summary"]

    next_morning = local(date(2026, 6, 11), 9)
    since = catch_up_since(calendar=CN, now=next_morning, horizon=horizon, slack=slack)
    assert due_ticks(calendar=CN, policy=POLICY, since=since, until=next_morning) == []


def test_duration_horizons_and_no_catch_up():
    slack = timedelta(seconds=45)
    after = local(date(2026, 6, 10), 18, 20)
    since = catch_up_since(calendar=CN, now=after, horizon=parse_horizon("2h"), slack=slack)
    assert [t.job for t in due_ticks(calendar=CN, policy=POLICY, since=since, until=after)] == [
        "daily.remind", "daily.summary"]
    since = catch_up_since(calendar=CN, now=after, horizon=parse_horizon("0"), slack=slack)
    assert due_ticks(calendar=CN, policy=POLICY, since=since, until=after) == []
    just_after = local(date(2026, 6, 10), 17) + timedelta(seconds=20)
    since = catch_up_since(calendar=CN, now=just_after, horizon=parse_horizon("0"), slack=slack)
    assert [t.job for t in due_ticks(calendar=CN, policy=POLICY, since=since,
                                     until=just_after)] == ["daily.summary"]


@pytest.mark.parametrize("text, expected", [("90m", timedelta(minutes=90)),
                                            ("2h", timedelta(hours=2)), ("0", timedelta(0)),
                                            ("1.5d", timedelta(hours=36))])
def test_parse_horizon(text, expected):
    assert parse_horizon(text) == expected


def test_a_bad_horizon_is_refused_with_the_accepted_forms():
    with pytest.raises(ValueError, match="same_working_day or a duration"):
        parse_horizon("tomorrow")
