"""Date and deadline parsing for commands (R27 both languages; R12 解决时限, R14 2-hour rule)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.grammar.dates import (
    DateParseError,
    looks_like_date,
    looks_like_datetime,
    parse_date,
    parse_datetime,
)

WED = date(2026, 7, 15)  # a Wednesday


@pytest.mark.parametrize("text, expected", [
    ("2026-08-15", date(2026, 8, 15)),
    ("2026/8/15", date(2026, 8, 15)),
    ("2026.8.15", date(2026, 8, 15)),
    ("2026年8月15日", date(2026, 8, 15)),
    ("8月15日", date(2026, 8, 15)),
    ("8月15号", date(2026, 8, 15)),
    ("8/15", date(2026, 8, 15)),
    ("08-15", date(2026, 8, 15)),
    ("８月１５日", date(2026, 8, 15)),  # full-width digits
    ("２０２６／８／１５", date(2026, 8, 15)),
    (" 8 / 15 ", date(2026, 8, 15)),
])
def test_absolute_dates(text: str, expected: date) -> None:
    assert parse_date(text, today=WED) == expected


@pytest.mark.parametrize("text, expected", [
    ("今天", WED), ("today", WED), ("Today", WED),
    ("明天", date(2026, 7, 16)), ("tomorrow", date(2026, 7, 16)),
    ("后天", date(2026, 7, 17)), ("大后天", date(2026, 7, 18)),
    ("3天后", date(2026, 7, 18)), ("三天后", date(2026, 7, 18)), ("十天后", date(2026, 7, 25)),
    ("in 3 days", date(2026, 7, 18)), ("3 days later", date(2026, 7, 18)),
    ("2周后", date(2026, 7, 29)), ("in 2 weeks", date(2026, 7, 29)),
])
def test_relative_days(text: str, expected: date) -> None:
    assert parse_date(text, today=WED) == expected


@pytest.mark.parametrize("text, expected", [
    ("周五", date(2026, 7, 17)), ("星期五", date(2026, 7, 17)), ("friday", date(2026, 7, 17)),
    ("Fri", date(2026, 7, 17)),
    ("周三", date(2026, 7, 22)),  # today is Wednesday: the coming one, today excluded
    ("wednesday", date(2026, 7, 22)),
    ("周一", date(2026, 7, 20)),
    ("本周五", date(2026, 7, 17)), ("这周五", date(2026, 7, 17)), ("this friday", date(2026, 7, 17)),
    ("本周一", date(2026, 7, 13)),  # this week's Monday, even though it is past
    ("下周五", date(2026, 7, 24)), ("next friday", date(2026, 7, 24)),
    ("下个星期五", date(2026, 7, 24)),
    ("下周一", date(2026, 7, 20)), ("下周日", date(2026, 7, 26)), ("下周天", date(2026, 7, 26)),
    ("Next Monday", date(2026, 7, 20)),
])
def test_weekdays(text: str, expected: date) -> None:
    assert parse_date(text, today=WED) == expected


def test_year_less_date_rolls_over_only_when_more_than_six_months_back() -> None:
    assert parse_date("1/5", today=date(2026, 12, 20)) == date(2027, 1, 5)
    assert parse_date("12/20", today=date(2026, 1, 5)) == date(2026, 12, 20)
    # a month ago stays this year (a late date is still the date that was meant)
    assert parse_date("6/15", today=WED) == date(2026, 6, 15)
    assert parse_date("2/29", today=date(2027, 12, 1)) == date(2028, 2, 29)


@pytest.mark.parametrize("text", [
    "", "soon", "尽快", "13/1", "2/30", "2026-02-30", "8月32日", "周八", "next year", "15",
    "2027/2/29", "in days", "XT-2026-001",
])
def test_not_dates(text: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse_date(text, today=WED)
    assert info.value.text == text
    assert not looks_like_date(text)


def test_looks_like_date_is_clock_free() -> None:
    assert looks_like_date("2/29")  # valid in leap years; the service decides for its year
    assert looks_like_date("下周五") and looks_like_date("8月15日") and looks_like_date("in 3 days")


NOW = datetime(2026, 7, 15, 14, 30)


@pytest.mark.parametrize("text, expected", [
    ("8/15 18:00", datetime(2026, 8, 15, 18, 0)),
    ("2026-08-15 09:30", datetime(2026, 8, 15, 9, 30)),
    ("2026-08-15T09:30", datetime(2026, 8, 15, 9, 30)),
    ("明天 10:00", datetime(2026, 7, 16, 10, 0)),
    ("明天10点", datetime(2026, 7, 16, 10, 0)),
    ("明天下午3点", datetime(2026, 7, 16, 15, 0)),
    ("周五 下午5点半", datetime(2026, 7, 17, 17, 30)),
    ("tomorrow 6pm", datetime(2026, 7, 16, 18, 0)),
    ("tomorrow at 9am", datetime(2026, 7, 16, 9, 0)),
    ("8月15日 18:00", datetime(2026, 8, 15, 18, 0)),
    ("2小时", datetime(2026, 7, 15, 16, 30)),
    ("2h", datetime(2026, 7, 15, 16, 30)),
    ("2 hours", datetime(2026, 7, 15, 16, 30)),
    ("in 2 hours", datetime(2026, 7, 15, 16, 30)),
    ("2小时内", datetime(2026, 7, 15, 16, 30)),
    ("30分钟", datetime(2026, 7, 15, 15, 0)),
    ("18:00", datetime(2026, 7, 15, 18, 0)),  # later today
    ("10:00", datetime(2026, 7, 16, 10, 0)),  # already past today → tomorrow
    ("8/15", datetime(2026, 8, 15, 23, 59)),  # a date alone: the whole day counts
])
def test_deadlines(text: str, expected: datetime) -> None:
    assert parse_datetime(text, now_local=NOW) == expected


def test_deadline_default_time_is_the_callers_choice() -> None:
    assert parse_datetime("8/15", now_local=NOW, default_time=time(18, 0)) == \
        datetime(2026, 8, 15, 18, 0)


@pytest.mark.parametrize("text", ["明天 10", "25:00", "8/15 18:61", "尽快", "", "2天内", "下午"])
def test_not_deadlines(text: str) -> None:
    with pytest.raises(DateParseError):
        parse_datetime(text, now_local=NOW)
    assert not looks_like_datetime(text)


dates = st.dates(min_value=date(1900, 1, 1), max_value=date(9998, 12, 31))
todays = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(d=dates, today=todays)
def test_every_iso_date_round_trips(d: date, today: date) -> None:
    assert parse_date(d.isoformat(), today=today) == d
    assert parse_date(f"{d.year}年{d.month}月{d.day}日", today=today) == d


@given(d=dates, today=todays)
def test_chinese_month_day_equals_slash_form(d: date, today: date) -> None:
    try:
        slash = parse_date(f"{d.month}/{d.day}", today=today)
    except DateParseError:  # 2/29 with no leap year close enough
        assert (d.month, d.day) == (2, 29)
        return
    assert parse_date(f"{d.month}月{d.day}日", today=today) == slash
    assert parse_date(f"{d.month:02d}-{d.day:02d}", today=today) == slash
    assert (slash.month, slash.day) == (d.month, d.day)
    # never more than ~6 months back, never more than ~6 months into a following year
    assert today - timedelta(days=183) <= slash <= today + timedelta(days=366 + 183)


@given(today=todays, weekday=st.integers(0, 6))
def test_weekday_words_land_on_that_weekday(today: date, weekday: int) -> None:
    cn = "一二三四五六日"[weekday]
    coming = parse_date(f"周{cn}", today=today)
    following = parse_date(f"下周{cn}", today=today)
    assert coming.weekday() == following.weekday() == weekday
    assert 1 <= (coming - today).days <= 7
    monday = today - timedelta(days=today.weekday())
    assert 7 <= (following - monday).days <= 13


# Arbitrary text, and text built from the characters dates are made of (to reach the regexes).
date_ish = st.text(alphabet="0123456789０１/-.: 年月日号周星期下本这个天后大今明小时分钟点半"
                            "上午下午晚inhdaysweektomorrowfrinextpm", max_size=24)
any_text = st.one_of(st.text(max_size=40), date_ish)
any_day = st.dates()  # the extremes too: 大后天 on 9999-12-30 is not a crash


@given(text=any_text, today=any_day)
def test_parse_date_only_raises_date_parse_error(text: str, today: date) -> None:
    try:
        result = parse_date(text, today=today)
    except DateParseError:
        return
    assert isinstance(result, date)


@given(text=date_ish, today=todays)
def test_the_shape_check_agrees_with_parsing(text: str, today: date) -> None:
    """What `looks_like_date` lets through, the service can parse (Feb 29 aside)."""
    if not looks_like_date(text):
        with pytest.raises(DateParseError):
            parse_date(text, today=today)
    elif parse_date(text, today=date(2024, 1, 1)) != date(2024, 2, 29):
        assert isinstance(parse_date(text, today=today), date)


@given(text=any_text, now=st.datetimes())
def test_parse_datetime_only_raises_date_parse_error(text: str, now: datetime) -> None:
    try:
        result = parse_datetime(text, now_local=now)
    except DateParseError:
        return
    assert isinstance(result, datetime)
