"""Which cron ticks are due (R7, R8, R13) — pure: a calendar, a policy and a window in, ticks out.

DESIGN rule 4: a periodic job is a *tick* with a period key; `job_run(job, workspace, period)`
is unique, so whoever inserts it first runs it and nobody runs it twice. This module only says
which ticks exist in a time window; `bot/scheduler.py` does the running.

- R7 `daily.remind` (16:30) and `daily.summary` (17:00), R13 `issue.digest` (12:00): every
  working day of the workspace's calendar (so a 调休 make-up Saturday has them, a holiday has
  not), at local wall time in the workspace's zone (DST-correct through `calendar.at_local`).
  Period: the local date, `2026-07-01`.
- R8 `weekly.report` (Friday 14:30): once per ISO week, on the policy weekday. If that day is
  not a working day (a holiday Friday), the report moves to the last working day of the same
  week before it — the report is due "before end of Friday", so earlier, never later; if the
  week has no working day before it, the first working day after it in that week (e.g. a 调休
  Saturday); a week with no working day at all has no report. Period: `2026-W27`.
- Catch-up after downtime (`catch_up_since`): by default a missed tick still runs on start-up
  if it is due on the same local day (only working days have ticks, so: the same working day);
  a duration (`2h`, `90m`) looks back that far instead; `0` runs nothing missed.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import NamedTuple, Protocol

from workflows.policy import Policy

DAILY_REMIND = "daily.remind"
DAILY_SUMMARY = "daily.summary"
ISSUE_DIGEST = "issue.digest"
WEEKLY_REPORT = "weekly.report"
JOBS = (ISSUE_DIGEST, DAILY_REMIND, DAILY_SUMMARY, WEEKLY_REPORT)
SAME_WORKING_DAY = "same_working_day"


class TickCalendar(Protocol):
    """What the ticks need of `workflows.calendar.WorkCalendar`."""

    def is_working_day(self, day: date) -> bool: ...

    def local_date(self, when: datetime) -> date: ...

    def at_local(self, day: date, t: time) -> datetime: ...


class Tick(NamedTuple):
    job: str
    period: str  # the job_run key: "2026-07-01" (daily) or "2026-W27" (weekly)
    day: date  # the local working day it runs for
    due_at: datetime  # aware UTC


def week_period(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def weekly_report_day(*, calendar: TickCalendar, policy: Policy, day: date) -> date | None:
    """The day R8's report runs in the ISO week of `day` (see the module docstring)."""
    monday = day - timedelta(days=day.weekday())
    target = monday + timedelta(days=policy.weekly_report_weekday)
    if calendar.is_working_day(target):
        return target
    for offset in range(policy.weekly_report_weekday - 1, -1, -1):
        candidate = monday + timedelta(days=offset)
        if calendar.is_working_day(candidate):
            return candidate
    for offset in range(policy.weekly_report_weekday + 1, 7):
        candidate = monday + timedelta(days=offset)
        if calendar.is_working_day(candidate):
            return candidate
    return None


def ticks_of_day(*, calendar: TickCalendar, policy: Policy, day: date) -> list[Tick]:
    """Every tick of one local day, in due order."""
    if not calendar.is_working_day(day):
        return []
    period = day.isoformat()
    ticks = [Tick(ISSUE_DIGEST, period, day, calendar.at_local(day, policy.issue_digest_at)),
             Tick(DAILY_REMIND, period, day, calendar.at_local(day, policy.daily_remind_at)),
             Tick(DAILY_SUMMARY, period, day, calendar.at_local(day, policy.daily_due_at))]
    if weekly_report_day(calendar=calendar, policy=policy, day=day) == day:
        ticks.append(Tick(WEEKLY_REPORT, week_period(day), day,
                          calendar.at_local(day, policy.weekly_report_at)))
    return sorted(ticks, key=lambda t: (t.due_at, JOBS.index(t.job)))


def due_ticks(*, calendar: TickCalendar, policy: Policy, since: datetime,
              until: datetime) -> list[Tick]:
    """Ticks with `since < due_at <= until`, in due order."""
    if until <= since:
        return []
    # a local day's ticks may fall on the neighbouring UTC date: look one day either side
    day, last = calendar.local_date(since) - timedelta(days=1), calendar.local_date(until)
    found: list[Tick] = []
    while day <= last + timedelta(days=1):
        found.extend(t for t in ticks_of_day(calendar=calendar, policy=policy, day=day)
                     if since < t.due_at <= until)
        day += timedelta(days=1)
    return found


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$", re.IGNORECASE)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_horizon(value: str) -> str | timedelta:
    """`same_working_day`, or a duration such as `2h`, `90m`, `45s`, `1d`, `0`."""
    text = str(value).strip()
    if text.lower() in (SAME_WORKING_DAY, "same_day"):
        return SAME_WORKING_DAY
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"missed-tick horizon {value!r}: use same_working_day or a duration "
                         "like 2h, 90m, 0")
    return timedelta(seconds=float(match.group(1)) * _UNIT[(match.group(2) or "s").lower()])


def catch_up_since(*, calendar: TickCalendar, now: datetime, horizon: str | timedelta,
                   slack: timedelta) -> datetime:
    """The start of the window of ticks still worth running at `now`.

    `slack` (a few sweep intervals) always stays inside the window, so the regular sweep never
    misses a tick that fell due between two sweeps, whatever the horizon.
    """
    if horizon == SAME_WORKING_DAY:
        start = calendar.at_local(calendar.local_date(now), time(0))
        # a tick at 00:00 local would otherwise be excluded by `since < due_at`
        start -= timedelta(microseconds=1)
    elif isinstance(horizon, timedelta):
        start = now - horizon
    else:
        raise ValueError(f"unknown horizon {horizon!r}")
    return min(start, now - slack)
