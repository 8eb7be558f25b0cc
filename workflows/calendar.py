"""The workspace calendar (R26): working days, time zones, working-hours arithmetic.

Why a module of its own: every deadline of SPEC counted in working days (R10 "2 working days
before", R18 "3 working days", R20 rework) and every cron tick "on working days only" (R7, R8,
R13) must agree on what a working day is. For China that means the State Council's holiday
schedule *including* the make-up working days (调休, e.g. Sat 2025-10-11) — taken from the
`holidays` package, never hand-written — plus per-workspace overrides. Elsewhere: that country's
weekend and public holidays (as the package defines them) plus overrides.

The package's data for a year the State Council has not published yet is an estimate (no 调休
at all); `is_estimated()` / `estimate_warning()` let the caller warn the workspace admins.

Everything here is pure: no clock, no I/O except `load_overrides_file`.
"""
from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import yaml

from workflows.i18n import Translate, translator

# Countries whose working-day schedule (incl. swapped working days) is decreed year by year;
# for a year after the last one in the package's data the package only estimates it.
YEARLY_SCHEDULE_COUNTRIES = frozenset({"CN"})
# How far add_working_days / next_working_day may search before giving up (a calendar with
# no working day for ten years is misconfigured, not a reason to loop forever).
_MAX_SEARCH_DAYS = 3660
_OVERRIDE_KEYS = ("extra_holidays", "extra_workdays")


class CalendarConfigError(ValueError):
    """Bad calendar configuration; `key`/`params` render it in the workspace's language (R27)."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(translator("en")(key, **params))


class _YearData(NamedTuple):
    working: frozenset[date]  # the country's working days of the year, before overrides
    ordinals: tuple[int, ...]  # the same, sorted, as ordinals (for counting with bisect)
    estimated: bool


@lru_cache(maxsize=None)
def _entity(country: str) -> holidays.HolidayBase:
    """The country's holiday object (no years populated); validates the code."""
    try:
        return holidays.country_holidays(country, years=())
    except NotImplementedError:
        raise CalendarConfigError("calendar.error.country", country=country) from None


@lru_cache(maxsize=1024)
def _year_data(country: str, year: int) -> _YearData:
    """One year of one country, computed once: the scheduler asks `is_working_day` a lot."""
    entity = _entity(country)
    hol = holidays.country_holidays(country, years=year)
    first = date(year, 1, 1)
    days = (first + timedelta(n) for n in range((date(year + 1, 1, 1) - first).days))
    # `is_working_day` of the package applies the country's weekend and, for China, the 调休
    # make-up working days (`weekend_workdays`, derived from its substituted-days data).
    working = tuple(d for d in days if hol.is_working_day(d))
    return _YearData(frozenset(working), tuple(d.toordinal() for d in working),
                     _estimated(entity, hol, year))


def _estimated(entity: holidays.HolidayBase, hol: holidays.HolidayBase, year: int) -> bool:
    if not entity.start_year <= year <= entity.end_year:
        return True  # the package has no data at all for that year
    if entity.country in YEARLY_SCHEDULE_COUNTRIES:
        official = _substituted_years(entity)
        if not official or not official[0] <= year <= official[-1]:
            return True
    # Lunar/Islamic dates the package computes rather than knows carry its "estimated" label.
    label = getattr(hol, "estimated_label", None)
    if label:
        marker = hol.tr(label).replace("%s", "").strip()
        return bool(marker) and any(marker in name for name in hol.values())
    return False


def _substituted_years(entity: holidays.HolidayBase) -> list[int]:
    """Years of the decreed schedules: those with substituted (调休) days in the package."""
    special = getattr(entity, "special_public_holidays", None) or {}
    years = []
    for year, entries in special.items():
        entries = entries if entries and isinstance(entries[0], tuple) else (entries,)
        if any(len(entry) >= 4 for entry in entries):
            years.append(year)
    return sorted(years)


@lru_cache(maxsize=None)
def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarConfigError("calendar.error.timezone", tz=tz) from None


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("calendar needs an aware datetime (UTC), got a naive one")
    return when


@dataclass(frozen=True)
class WorkCalendar:
    """A workspace's calendar (R26). Build it with `calendar_from_settings`."""

    country: str = "CN"  # ISO code for holidays.country_holidays
    tz: str = "Asia/Shanghai"  # IANA zone
    extra_holidays: frozenset[date] = field(default_factory=frozenset)  # workspace overrides
    extra_workdays: frozenset[date] = field(default_factory=frozenset)
    work_start: time = time(9, 0)  # for working-hours arithmetic
    work_end: time = time(18, 0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "country", self.country.upper())
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))
        object.__setattr__(self, "extra_workdays", frozenset(self.extra_workdays))
        _entity(self.country)
        _zone(self.tz)
        if both := sorted(self.extra_holidays & self.extra_workdays):
            raise CalendarConfigError("calendar.error.conflict", day=both[0].isoformat())
        if self.work_start >= self.work_end:
            raise CalendarConfigError("calendar.error.work_hours", start=self.work_start
                                      .strftime("%H:%M"), end=self.work_end.strftime("%H:%M"))

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.tz)

    # --- working days -------------------------------------------------------------------

    def _base_working(self, day: date) -> bool:
        return day in _year_data(self.country, day.year).working

    def is_working_day(self, day: date) -> bool:
        """Overrides > holidays (incl. 调休 make-up working days) > weekends."""
        if day in self.extra_holidays:
            return False
        if day in self.extra_workdays:
            return True
        return self._base_working(day)

    def _step(self, day: date, direction: int) -> date:
        """The nearest working day strictly after (direction 1) / before (-1) `day`."""
        for _ in range(_MAX_SEARCH_DAYS):
            day += timedelta(days=direction)
            if self.is_working_day(day):
                return day
        raise CalendarConfigError("calendar.error.no_working_day", day=day.isoformat())

    def next_working_day(self, day: date, *, include_today: bool = False) -> date:
        if include_today and self.is_working_day(day):
            return day
        return self._step(day, 1)

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (before it when n < 0; `day` itself when n == 0).

        R10 "2 working days before the due date" is `add_working_days(due, -2)`;
        R18 "within 3 working days of the feedback" is `add_working_days(received, 3)`.
        """
        direction = 1 if n > 0 else -1
        for _ in range(abs(n)):
            day = self._step(day, direction)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative (-count of (end, start]) if end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        lo, hi = start.toordinal(), end.toordinal()
        total = 0
        for year in range(start.year, end.year + 1):
            ordinals = _year_data(self.country, year).ordinals
            total += bisect_right(ordinals, hi) - bisect_right(ordinals, lo)
        total -= sum(1 for d in self.extra_holidays if start < d <= end and self._base_working(d))
        total += sum(1 for d in self.extra_workdays
                     if start < d <= end and not self._base_working(d))
        return total

    def is_estimated(self, day: date) -> bool:
        """True when the package's data for `day.year` is an estimate, not the official
        schedule (the State Council publishes next year's each autumn)."""
        return _year_data(self.country, day.year).estimated

    # --- time zones -----------------------------------------------------------------------

    def local(self, when: datetime) -> datetime:
        """Aware (UTC) → aware local time of the workspace."""
        return _aware(when).astimezone(self.zone)

    def local_date(self, when: datetime) -> date:
        return self.local(when).date()

    def at_local(self, day: date, t: time) -> datetime:
        """Local wall time → aware UTC. A time skipped by DST moves forward by the gap
        (fold=0 reads it with the offset before the switch); a repeated one takes the first."""
        wall = datetime.combine(day, t.replace(tzinfo=None, fold=0), tzinfo=self.zone)
        return wall.astimezone(timezone.utc)

    def add_hours(self, start: datetime, hours: float, *, working_hours: bool = False
                  ) -> datetime:
        """R14 "2 hours", R16 "24 hours": elapsed time by default (across DST too). With
        `working_hours`, only work_start–work_end of working days count. Returns aware UTC."""
        start = _aware(start).astimezone(timezone.utc)
        if not working_hours:
            return start + timedelta(hours=hours)
        if hours < 0:
            raise ValueError("working-hours arithmetic only counts forwards")
        remaining = timedelta(hours=hours)
        if not remaining:
            return start
        cursor, day = start, self.local_date(start)
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                opens, closes = self.at_local(day, self.work_start), self.at_local(day,
                                                                                 self.work_end)
                cursor = max(cursor, opens)
                if cursor < closes:
                    if remaining <= closes - cursor:
                        return cursor + remaining
                    remaining -= closes - cursor
            day += timedelta(days=1)
        raise CalendarConfigError("calendar.error.no_working_day", day=day.isoformat())

    def estimate_warning(self, day: date, t: Translate) -> str | None:
        return estimate_warning(day, t, calendar=self)


DEFAULT_CALENDAR = WorkCalendar()


def estimate_warning(day: date, t: Translate, *, calendar: WorkCalendar = DEFAULT_CALENDAR
                     ) -> str | None:
    """The admins' warning (R26) when a deadline falls in a year whose schedule is only an
    estimate; None when the year's data is official."""
    if not calendar.is_estimated(day):
        return None
    key = ("calendar.estimated.yearly" if calendar.country in YEARLY_SCHEDULE_COUNTRIES
           else "calendar.estimated")
    return t(key, year=day.year, day=day.isoformat(), country=calendar.country)


# --- configuration -----------------------------------------------------------------------

def _parse_day(value: Any, *, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):  # YAML reads unquoted 2026-10-09 as a date
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise CalendarConfigError("calendar.error.date", value=str(value), where=where) from None


def _parse_days(values: Any, *, where: str) -> frozenset[date]:
    if values is None:
        return frozenset()
    if not isinstance(values, (list, tuple, set, frozenset)):
        raise CalendarConfigError("calendar.error.list", where=where)
    return frozenset(_parse_day(v, where=where) for v in values)


def _parse_time(value: Any, default: time, *, where: str) -> time:
    if value is None:
        return default
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        raise CalendarConfigError("calendar.error.time", value=str(value), where=where) from None


def load_overrides_file(path: str | Path) -> dict[str, list[date]]:
    """A workspace overrides file (YAML, or JSON — which YAML reads too):
    `{extra_holidays: [2026-10-09, …], extra_workdays: […]}` → the same with `date` values."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise CalendarConfigError("calendar.error.file", path=str(path)) from None
    try:
        data = (json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text))
    except (ValueError, yaml.YAMLError):
        raise CalendarConfigError("calendar.error.file_format", path=str(path)) from None
    data = data or {}
    if not isinstance(data, dict):
        raise CalendarConfigError("calendar.error.file_format", path=str(path))
    if unknown := sorted(set(map(str, data)) - set(_OVERRIDE_KEYS)):
        raise CalendarConfigError("calendar.error.file_keys", path=str(path),
                                  keys=", ".join(unknown))
    return {key: sorted(_parse_days(data.get(key), where=f"{path}: {key}"))
            for key in _OVERRIDE_KEYS}


def calendar_from_settings(*, country: str, tz: str, settings: dict | None) -> WorkCalendar:
    """The workspace's calendar: country and zone of the workspace, overrides from its
    settings (`settings["calendar"]`), merged with its overrides file if it names one."""
    conf = (settings or {}).get("calendar") or {}
    if not isinstance(conf, dict):
        raise CalendarConfigError("calendar.error.settings")
    extra = {key: _parse_days(conf.get(key), where=f"calendar.{key}") for key in _OVERRIDE_KEYS}
    if conf.get("overrides_file"):
        from_file = load_overrides_file(conf["overrides_file"])
        extra = {key: extra[key] | frozenset(from_file[key]) for key in _OVERRIDE_KEYS}
    return WorkCalendar(
        country=country,
        tz=tz,
        extra_holidays=extra["extra_holidays"],
        extra_workdays=extra["extra_workdays"],
        work_start=_parse_time(conf.get("work_start"), time(9, 0), where="calendar.work_start"),
        work_end=_parse_time(conf.get("work_end"), time(18, 0), where="calendar.work_end"),
    )
