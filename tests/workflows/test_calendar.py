"""R26 working days (China's holidays with 调休 make-up working days, other countries, workspace
overrides), time zones across DST, working-hours arithmetic, the estimated-year warning.
Pure: no database."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.calendar import (
    CalendarConfigError,
    WorkCalendar,
    calendar_from_settings,
    estimate_warning,
    load_overrides_file,
)
from workflows.i18n import catalog, translator

UTC = timezone.utc
CN = WorkCalendar()
NY = WorkCalendar(country="US", tz="America/New_York")


def d(text: str) -> date:
    return date.fromisoformat(text)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- China: National Day 2025 (Oct 1–8 off; Sun Sep 28 and Sat Oct 11 are 调休 working days) ---

NATIONAL_DAY_2025 = {
    "2025-09-26": True, "2025-09-27": False,  # Fri, Sat
    "2025-09-28": True,  # Sunday, make-up working day (调休)
    "2025-09-29": True, "2025-09-30": True,
    **{f"2025-10-0{n}": False for n in range(1, 9)},  # Oct 1–8 holiday (incl. weekend)
    "2025-10-09": True, "2025-10-10": True,
    "2025-10-11": True,  # Saturday, make-up working day (调休)
    "2025-10-12": False, "2025-10-13": True,
}

# Spring Festival 2026 per the package (State Council notice 2025-11): Feb 15–23 off;
# Sat Feb 14 and Sat Feb 28 are make-up working days.
SPRING_FESTIVAL_2026 = {
    "2026-02-13": True,
    "2026-02-14": True,  # Saturday, make-up working day
    **{f"2026-02-{n}": False for n in range(15, 24)},
    "2026-02-24": True, "2026-02-27": True,
    "2026-02-28": True,  # Saturday, make-up working day
    "2026-03-01": False, "2026-03-02": True,
}


@pytest.mark.parametrize("day,working", sorted({**NATIONAL_DAY_2025,
                                                 **SPRING_FESTIVAL_2026}.items()))
def test_r26_china_holiday_weeks_and_make_up_working_days(day: str, working: bool) -> None:
    assert CN.is_working_day(d(day)) is working


def test_r26_other_2026_make_up_days_and_holidays() -> None:
    assert CN.is_working_day(d("2026-01-04"))  # Sunday after New Year (调休)
    assert not CN.is_working_day(d("2026-01-02"))
    assert CN.is_working_day(d("2026-05-09"))  # Saturday after Labour Day
    assert not CN.is_working_day(d("2026-05-05"))
    assert CN.is_working_day(d("2026-09-20")) and CN.is_working_day(d("2026-10-10"))
    assert not CN.is_working_day(d("2026-10-07"))


def test_r10_two_working_days_before_a_due_date_after_national_day_lands_before_it() -> None:
    assert CN.add_working_days(d("2025-10-09"), -2) == d("2025-09-29")
    assert CN.add_working_days(d("2025-10-10"), -2) == d("2025-09-30")
    # the make-up Saturday counts: due Monday Oct 13 → asked on Friday Oct 10
    assert CN.add_working_days(d("2025-10-13"), -1) == d("2025-10-11")
    assert CN.add_working_days(d("2025-10-13"), -2) == d("2025-10-10")


def test_r10_two_working_days_before_spring_festival_counts_the_make_up_saturday() -> None:
    assert CN.add_working_days(d("2026-02-24"), -1) == d("2026-02-14")
    assert CN.add_working_days(d("2026-02-24"), -2) == d("2026-02-13")


def test_r18_three_working_days_from_the_holiday_eve() -> None:
    assert CN.add_working_days(d("2025-09-30"), 3) == d("2025-10-11")
    assert CN.add_working_days(d("2026-02-13"), 3) == d("2026-02-25")
    assert CN.add_working_days(d("2025-10-05"), 0) == d("2025-10-05")


def test_next_working_day_from_the_holiday_eve() -> None:
    assert CN.next_working_day(d("2025-09-30")) == d("2025-10-09")
    assert CN.next_working_day(d("2025-09-27")) == d("2025-09-28")  # the 调休 Sunday
    assert CN.next_working_day(d("2026-02-13")) == d("2026-02-14")  # the 调休 Saturday
    assert CN.next_working_day(d("2026-02-14")) == d("2026-02-24")
    assert CN.next_working_day(d("2025-10-09"), include_today=True) == d("2025-10-09")
    assert CN.next_working_day(d("2025-10-08"), include_today=True) == d("2025-10-09")


def test_working_days_between_across_national_day() -> None:
    # (Sep 30, Oct 13]: Oct 9, 10, 11 (调休), 13
    assert CN.working_days_between(d("2025-09-30"), d("2025-10-13")) == 4
    assert CN.working_days_between(d("2025-10-13"), d("2025-09-30")) == -4
    assert CN.working_days_between(d("2025-10-01"), d("2025-10-01")) == 0
    # across a year end: (2025-12-30, 2026-01-05]: Dec 31, Jan 4 (调休 Sunday), Jan 5
    assert CN.working_days_between(d("2025-12-30"), d("2026-01-05")) == 3


# --- other countries ------------------------------------------------------------------------

def test_r26_other_countries_use_their_weekend_and_public_holidays() -> None:
    assert not NY.is_working_day(d("2026-07-03"))  # Independence Day (Sat) observed Friday
    assert not NY.is_working_day(d("2026-11-26"))  # Thanksgiving
    assert NY.is_working_day(d("2026-10-01"))  # no Chinese National Day in the US
    assert not NY.is_working_day(d("2026-02-14"))  # and no 调休 Saturday
    uae = WorkCalendar(country="AE", tz="Asia/Dubai")
    assert not uae.is_working_day(d("2026-03-07"))  # Saturday–Sunday weekend since 2022
    assert uae.is_working_day(d("2026-03-06"))


# --- workspace overrides ----------------------------------------------------------------------

def test_overrides_add_and_remove_working_days() -> None:
    cal = calendar_from_settings(country="CN", tz="Asia/Shanghai", settings={"calendar": {
        "extra_holidays": ["2025-10-09"], "extra_workdays": ["2025-10-04"]}})
    assert not cal.is_working_day(d("2025-10-09"))  # a company day off after National Day
    assert cal.is_working_day(d("2025-10-04"))  # a national holiday the company works
    assert cal.next_working_day(d("2025-09-30")) == d("2025-10-04")
    assert cal.add_working_days(d("2025-10-10"), -1) == d("2025-10-04")
    assert cal.add_working_days(d("2025-10-10"), -2) == d("2025-09-30")
    assert cal.working_days_between(d("2025-09-30"), d("2025-10-13")) == 4  # +Oct 4, −Oct 9
    assert CN.is_working_day(d("2025-10-09")) and not CN.is_working_day(d("2025-10-04"))


def test_overrides_file_yaml_merges_with_settings(tmp_path) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text("extra_holidays:\n  - 2026-10-09\nextra_workdays: ['2026-10-05']\n",
                    encoding="utf-8")
    assert load_overrides_file(path) == {"extra_holidays": [d("2026-10-09")],
                                         "extra_workdays": [d("2026-10-05")]}
    cal = calendar_from_settings(country="CN", tz="Asia/Shanghai", settings={"calendar": {
        "extra_holidays": ["2026-10-12"], "overrides_file": str(path),
        "work_start": "08:30", "work_end": "17:30"}})
    assert cal.extra_holidays == {d("2026-10-09"), d("2026-10-12")}
    assert cal.is_working_day(d("2026-10-05")) and not cal.is_working_day(d("2026-10-09"))
    assert (cal.work_start, cal.work_end) == (time(8, 30), time(17, 30))


def test_overrides_file_json(tmp_path) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps({"extra_workdays": ["2026-02-21"]}), encoding="utf-8")
    cal = calendar_from_settings(country="CN", tz="Asia/Shanghai",
                                 settings={"calendar": {"overrides_file": str(path)}})
    assert cal.is_working_day(d("2026-02-21"))


def test_no_settings_gives_the_defaults() -> None:
    assert calendar_from_settings(country="CN", tz="Asia/Shanghai", settings=None) == CN
    assert calendar_from_settings(country="US", tz="America/New_York", settings={}) == NY


@pytest.mark.parametrize("conf,key", [
    ({"extra_holidays": ["2026-13-01"]}, "calendar.error.date"),
    ({"extra_holidays": "2026-10-09"}, "calendar.error.list"),
    ({"work_start": "9h"}, "calendar.error.time"),
    ({"work_start": "18:00", "work_end": "09:00"}, "calendar.error.work_hours"),
    ({"extra_holidays": ["2026-10-09"], "extra_workdays": ["2026-10-09"]},
     "calendar.error.conflict"),
    ({"overrides_file": "/nonexistent/calendar.yaml"}, "calendar.error.file"),
    ("weekends", "calendar.error.settings"),
])
def test_bad_settings_get_a_clear_localised_answer(conf, key: str) -> None:
    with pytest.raises(CalendarConfigError) as err:
        calendar_from_settings(country="CN", tz="Asia/Shanghai", settings={"calendar": conf})
    assert err.value.key == key
    zh = translator("zh-CN")(err.value.key, **err.value.params)
    assert zh != key and "日历设置有误" in zh


@pytest.mark.parametrize("text,key", [("- 2026-10-09\n", "calendar.error.file_format"),
                                      ("holidays: [2026-10-09]\n", "calendar.error.file_keys"),
                                      ("extra_holidays: [: bad\n", "calendar.error.file_format")])
def test_bad_overrides_file_is_refused(tmp_path, text: str, key: str) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarConfigError) as err:
        load_overrides_file(path)
    assert err.value.key == key


def test_unknown_country_or_time_zone_is_refused() -> None:
    with pytest.raises(CalendarConfigError) as err:
        calendar_from_settings(country="XX", tz="Asia/Shanghai", settings=None)
    assert err.value.key == "calendar.error.country"
    with pytest.raises(CalendarConfigError) as err:
        WorkCalendar(tz="Mars/Olympus")
    assert err.value.key == "calendar.error.timezone"


# --- time zones across DST (America/New_York, 2026: Mar 8 and Nov 1) ---------------------------

def test_at_local_17h_each_side_of_the_march_switch() -> None:
    assert NY.at_local(d("2026-03-06"), time(17)) == utc("2026-03-06T22:00")  # EST −5
    assert NY.at_local(d("2026-03-09"), time(17)) == utc("2026-03-09T21:00")  # EDT −4


def test_at_local_17h_each_side_of_the_november_switch() -> None:
    assert NY.at_local(d("2026-10-30"), time(17)) == utc("2026-10-30T21:00")  # EDT
    assert NY.at_local(d("2026-11-02"), time(17)) == utc("2026-11-02T22:00")  # EST


def test_at_local_nonexistent_moves_forward_and_ambiguous_takes_the_first() -> None:
    skipped = NY.at_local(d("2026-03-08"), time(2, 30))  # 02:30 does not exist that night
    assert skipped == utc("2026-03-08T07:30")
    assert NY.local(skipped).time() == time(3, 30)
    assert NY.at_local(d("2026-11-01"), time(1, 30)) == utc("2026-11-01T05:30")  # EDT 01:30


def test_add_hours_wall_clock_across_the_switch_is_two_real_hours() -> None:
    start = NY.at_local(d("2026-03-08"), time(1, 0))  # 01:00 EST
    end = NY.add_hours(start, 2)
    assert end - start == timedelta(hours=2)
    assert NY.local(end).time() == time(4, 0)  # the local clock jumped an hour
    start = NY.at_local(d("2026-11-01"), time(0, 30))  # 00:30 EDT
    end = NY.add_hours(start, 2)
    assert end - start == timedelta(hours=2)
    assert NY.local(end).time() == time(1, 30) and NY.local(end).utcoffset() == timedelta(hours=-5)


def test_local_date_near_midnight() -> None:
    assert NY.local_date(utc("2026-03-09T03:30")) == d("2026-03-08")  # 23:30 EDT
    assert NY.local_date(utc("2026-03-09T04:30")) == d("2026-03-09")
    assert NY.local_date(utc("2026-11-02T04:30")) == d("2026-11-01")  # 23:30 EST
    assert CN.local_date(utc("2026-03-08T16:30")) == d("2026-03-09")  # 00:30 in Shanghai
    assert CN.local_date(utc("2026-03-08T15:59")) == d("2026-03-08")


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        CN.local(datetime(2026, 3, 9, 12))
    with pytest.raises(ValueError):
        CN.add_hours(datetime(2026, 3, 9, 12), 2)


# --- working-hours mode ---------------------------------------------------------------------------

def test_two_working_hours_from_friday_1730_land_on_monday_1030() -> None:
    start = CN.at_local(d("2026-03-06"), time(17, 30))  # Friday
    assert CN.local(CN.add_hours(start, 2, working_hours=True)) == \
        datetime(2026, 3, 9, 10, 30, tzinfo=CN.zone)
    start = NY.at_local(d("2026-03-06"), time(17, 30))  # Friday, EST; Monday is EDT
    end = NY.add_hours(start, 2, working_hours=True)
    assert end == utc("2026-03-09T14:30") and NY.local(end).time() == time(10, 30)


def test_working_hours_skip_the_holiday_and_count_the_make_up_saturday() -> None:
    start = CN.at_local(d("2025-09-30"), time(17, 0))  # National Day eve
    assert CN.local(CN.add_hours(start, 2, working_hours=True)) == \
        datetime(2025, 10, 9, 10, 0, tzinfo=CN.zone)
    start = CN.at_local(d("2025-10-10"), time(17, 0))  # Friday before the 调休 Saturday
    assert CN.local(CN.add_hours(start, 3, working_hours=True)) == \
        datetime(2025, 10, 11, 11, 0, tzinfo=CN.zone)


def test_working_hours_before_opening_and_exactly_at_closing() -> None:
    start = CN.at_local(d("2026-03-09"), time(7, 0))
    assert CN.local(CN.add_hours(start, 1, working_hours=True)).time() == time(10, 0)
    start = CN.at_local(d("2026-03-09"), time(17, 0))
    assert CN.local(CN.add_hours(start, 1, working_hours=True)) == \
        datetime(2026, 3, 9, 18, 0, tzinfo=CN.zone)
    assert CN.add_hours(start, 0, working_hours=True) == start
    assert CN.local(CN.add_hours(start, 24, working_hours=True)) == \
        datetime(2026, 3, 12, 14, 0, tzinfo=CN.zone)  # 1 + 9 + 9 + 5 hours


# --- the estimated-year warning -------------------------------------------------------------------

def test_is_estimated_for_a_year_without_official_schedule() -> None:
    assert CN.is_estimated(d("2030-05-01"))
    assert not CN.is_estimated(d("2025-10-01"))
    assert not CN.is_estimated(d("2026-02-17"))
    assert not NY.is_estimated(d("2030-05-01"))  # rule-based holidays are never estimates
    assert WorkCalendar(country="AE", tz="Asia/Dubai").is_estimated(d("2080-01-01"))


def test_estimate_warning_is_localised_and_only_for_estimated_years() -> None:
    zh, en = translator("zh-CN"), translator("en")
    assert estimate_warning(d("2026-10-09"), zh) is None
    text = estimate_warning(d("2030-10-09"), zh)
    assert text is not None and "2030" in text and "调休" in text
    assert "State Council" in estimate_warning(d("2030-10-09"), en)
    assert "AE" in WorkCalendar(country="AE", tz="Asia/Dubai").estimate_warning(
        d("2080-01-01"), en)


def test_calendar_catalogs_have_the_same_keys() -> None:
    zh = {k for k in catalog("zh-CN") if k.startswith("calendar.")}
    en = {k for k in catalog("en") if k.startswith("calendar.")}
    assert zh == en and "calendar.estimated.yearly" in zh


# --- properties -----------------------------------------------------------------------------------

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 12, 31))
steps = st.integers(min_value=-40, max_value=40)
calendars = st.sampled_from([CN, NY, WorkCalendar(extra_holidays=frozenset({d("2025-10-09")}),
                                                  extra_workdays=frozenset({d("2025-10-04")}))])


@settings(max_examples=300, deadline=None)
@given(cal=calendars, day=days, n=steps)
def test_add_working_days_lands_on_a_working_day(cal: WorkCalendar, day: date, n: int) -> None:
    result = cal.add_working_days(day, n)
    if n == 0:
        assert result == day
    else:
        assert cal.is_working_day(result)
        assert (result > day) == (n > 0)


@settings(max_examples=300, deadline=None)
@given(cal=calendars, day=days, n=steps)
def test_add_working_days_round_trips_from_a_working_day(cal: WorkCalendar, day: date,
                                                         n: int) -> None:
    day = cal.next_working_day(day, include_today=True)
    assert cal.add_working_days(cal.add_working_days(day, n), -n) == day


@settings(max_examples=300, deadline=None)
@given(cal=calendars, day=days, n=steps)
def test_working_days_between_agrees_with_add_working_days(cal: WorkCalendar, day: date,
                                                           n: int) -> None:
    day = cal.next_working_day(day, include_today=True)
    target = cal.add_working_days(day, n)
    assert cal.working_days_between(day, target) == n
    assert cal.working_days_between(target, day) == -n


@settings(max_examples=200, deadline=None)
@given(cal=calendars, start=days, span=st.integers(min_value=0, max_value=800))
def test_working_days_between_counts_the_half_open_interval(cal: WorkCalendar, start: date,
                                                            span: int) -> None:
    end = start + timedelta(days=span)
    brute = sum(cal.is_working_day(start + timedelta(days=i)) for i in range(1, span + 1))
    assert cal.working_days_between(start, end) == brute
