"""Pure date and deadline parsing for commands: Chinese and English, absolute and relative (R27).

Dates stay clock-free: the caller passes `today` (or `now_local`, a naive local time in the
workspace's time zone, R26). The command grammar only checks the *shape* of a date with
`looks_like_date`, so parsing into a real date happens where the clock is known.

Accepted dates: `2026-08-15`, `2026/8/15`, `2026年8月15日`, `8月15日`/`8月15号`, `8/15`,
`08-15`; `今天 明天 后天 大后天 today tomorrow`; `周五 星期五 礼拜五 friday` (the coming one,
today excluded); `本周五 这周五 this friday` (this Monday–Sunday week); `下周五 next friday`
(next week's); `3天后 三天后 in 3 days 3 days later 2周后 in 2 weeks`.
Deadlines (`parse_datetime`) add a time — `8/15 18:00`, `明天 10:00`, `明天下午3点`, `6pm`,
`18:00` alone (today, or tomorrow if already past) — or a span from now: `2小时`, `2h`,
`in 2 hours`, `30分钟`.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta

ROLLOVER_DAYS = 183  # a year-less date further back than ~6 months means next year's
DEFAULT_DEADLINE_TIME = time(23, 59)  # "by 8/15" includes the whole of 8/15
# A leap-year reference so `2/29` has a shape-valid reading; nothing rolls over from Jan 1.
_SHAPE_TODAY = date(2024, 1, 1)


class DateParseError(ValueError):
    """The text is not a date (or deadline) we understand; `text` is what was given."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "today": 0, "明天": 1, "明日": 1, "tomorrow": 1,
                  "后天": 2, "day after tomorrow": 2, "大后天": 3}
_CN_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_EN_WEEKDAYS = {name: i for i, names in enumerate((
    ("monday", "mon"), ("tuesday", "tue", "tues"), ("wednesday", "wed"),
    ("thursday", "thu", "thur", "thurs"), ("friday", "fri"), ("saturday", "sat"),
    ("sunday", "sun"))) for name in names}
_WEEK_QUALIFIERS = {"": "coming", "本": "this", "这": "this", "这个": "this", "this": "this",
                    "下": "next", "下个": "next", "next": "next", "coming": "coming"}
_UNIT_DAYS = {"天": 1, "日": 1, "day": 1, "days": 1, "周": 7, "个星期": 7, "星期": 7,
              "week": 7, "weeks": 7}
_HOUR_UNITS = {"小时": 60, "个小时": 60, "钟头": 60, "个钟头": 60, "h": 60, "hr": 60,
               "hrs": 60, "hour": 60, "hours": 60, "分钟": 1, "min": 1, "mins": 1,
               "minute": 1, "minutes": 1, "m": 1}
_PM_MARKS = {"下午", "晚上", "傍晚", "pm", "p.m."}
_AM_MARKS = {"上午", "早上", "早晨", "凌晨", "am", "a.m."}

_NUM = r"(\d+|[零〇一二两三四五六七八九十]+)"
_ISO = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})")
_CN_FULL = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_CN_MD = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_MD = re.compile(r"(\d{1,2})\s*[-/]\s*(\d{1,2})")
_CN_WEEKDAY = re.compile(r"(本|这个|这|下个|下)?\s*(?:周|星期|礼拜)([一二三四五六日天七])")
_EN_WEEKDAY = re.compile(r"(?:(this|next|coming)\s+)?([a-z]+)")
_DAYS_AFTER = re.compile(_NUM + r"\s*(天|日|周|个星期|星期)\s*(?:后|之后|以后)")
_IN_DAYS = re.compile(r"(?:in\s+(\d+)\s*(days?|weeks?)|(\d+)\s*(days?|weeks?)\s+(?:later|from now))")
_SPAN = re.compile(r"(?:in\s+)?(\d+(?:\.\d+)?)\s*([a-z个小时钟头分]+)\s*(?:后|之后|以后|内|以内|之内|later|from now)?")
_TIME = re.compile(
    r"(?:^|(?<=\s)|(?<=[日号天后五六一二三四七]))"
    r"(上午|早上|早晨|凌晨|中午|下午|晚上|傍晚)?\s*"
    r"(\d{1,2})(?:\s*:\s*(\d{2})|\s*点\s*(?:(半)|(\d{1,2})\s*分?)?)?\s*(am|pm|a\.m\.|p\.m\.)?$")
_ISO_T = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})t")
_AT = re.compile(r"\s*(?:at|@|的)\s*$")


def _clean(text: str) -> str:
    """Full-width digits and punctuation to ASCII, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _cn_int(token: str) -> int | None:
    """`3` or a small Chinese numeral (`三`, `十`, `十五`, `二十`) → int."""
    if token.isdigit():
        return int(token)
    if "十" in token:
        tens, _, ones = token.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        high = _CN_DIGITS.get(tens, -1) if tens else 1
        low = _CN_DIGITS.get(ones, -1) if ones else 0
        return None if high < 0 or low < 0 else high * 10 + low
    return _CN_DIGITS.get(token) if len(token) == 1 else None


def _build(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateParseError(text) from None


def _yearless(month: int, day: int, today: date, text: str) -> date:
    """This year's date, or next year's when this year's is more than ~6 months back."""
    try:
        candidate = date(today.year, month, day)
    except ValueError:  # 2/29 outside a leap year: only next year's can be meant
        candidate = None
    if candidate is not None and candidate >= today - timedelta(days=ROLLOVER_DAYS):
        return candidate
    following = _build(today.year + 1, month, day, text)
    if candidate is None and following > today + timedelta(days=ROLLOVER_DAYS):
        raise DateParseError(text)
    return following


def _weekday(target: int, qualifier: str, today: date) -> date:
    monday = today - timedelta(days=today.weekday())
    if qualifier == "this":
        return monday + timedelta(days=target)
    if qualifier == "next":
        return monday + timedelta(days=7 + target)
    ahead = (target - today.weekday()) % 7 or 7  # the coming one; today itself is excluded
    return today + timedelta(days=ahead)


def _parse_clean(s: str, today: date, original: str) -> date:
    if s in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[s])
    for pattern in (_ISO, _CN_FULL):
        if m := pattern.fullmatch(s):
            return _build(int(m[1]), int(m[2]), int(m[3]), original)
    for pattern in (_CN_MD, _MD):
        if m := pattern.fullmatch(s):
            return _yearless(int(m[1]), int(m[2]), today, original)
    if m := _CN_WEEKDAY.fullmatch(s):
        return _weekday(_CN_WEEKDAYS[m[2]], _WEEK_QUALIFIERS[m[1] or ""], today)
    if (m := _EN_WEEKDAY.fullmatch(s)) and m[2] in _EN_WEEKDAYS:
        return _weekday(_EN_WEEKDAYS[m[2]], _WEEK_QUALIFIERS[m[1] or ""], today)
    if m := _DAYS_AFTER.fullmatch(s):
        count = _cn_int(m[1])
        if count is not None:
            return _offset(today, count * _UNIT_DAYS[m[2]], original)
    if m := _IN_DAYS.fullmatch(s):
        count, unit = (m[1], m[2]) if m[1] else (m[3], m[4])
        return _offset(today, int(count) * _UNIT_DAYS[unit], original)
    raise DateParseError(original)


def _offset(today: date, days: int, text: str) -> date:
    if abs(days) > 999_999_999:  # beyond timedelta; OverflowError is caught by the callers
        raise DateParseError(text)
    return today + timedelta(days=days)


def parse_date(text: str, *, today: date, locale_hint: str | None = None) -> date:
    """The date `text` means when written on `today`; raises `DateParseError`.

    `locale_hint` is accepted for callers that know the writer's locale; both languages are
    always understood, and `8/15` is month/day in either (the guidelines' usage).
    """
    try:
        return _parse_clean(_clean(text), today, text)
    except OverflowError:  # e.g. 大后天 on 9999-12-30
        raise DateParseError(text) from None


def looks_like_date(text: str) -> bool:
    """True when `text` is a date in an accepted shape, whatever today is (clock-free check)."""
    try:
        parse_date(text, today=_SHAPE_TODAY)
    except DateParseError:
        return False
    return True


def _span_minutes(s: str) -> float | None:
    m = _SPAN.fullmatch(s)
    if m and m[2] in _HOUR_UNITS:
        return float(m[1]) * _HOUR_UNITS[m[2]]
    return None


def _clock_time(m: re.Match[str], text: str) -> time:
    marker = m[1] or m[6] or ""
    hour = int(m[2])
    minute = 30 if m[4] else int(m[3] or m[5] or 0)
    if m[3] is None and m[4] is None and m[5] is None and "点" not in m[0] and not marker:
        raise DateParseError(text)  # a bare number is not a time
    if marker in _PM_MARKS and hour < 12:
        hour += 12
    elif marker in _AM_MARKS and hour == 12:
        hour = 0
    elif marker == "中午" and hour < 6:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DateParseError(text)
    return time(hour, minute)


def parse_datetime(text: str, *, now_local: datetime,
                   default_time: time = DEFAULT_DEADLINE_TIME) -> datetime:
    """The naive local deadline `text` means at `now_local`; raises `DateParseError`.

    A date alone means `default_time` on that date; a time alone means today at that time, or
    tomorrow when it has already passed; a span (`2小时`, `2h`) counts from `now_local`.
    """
    try:
        return _deadline(_ISO_T.sub(r"\1 ", _clean(text)), text, now_local, default_time)
    except OverflowError:  # a span or date beyond year 9999
        raise DateParseError(text) from None


def _deadline(s: str, text: str, now_local: datetime, default_time: time) -> datetime:
    minutes = _span_minutes(s)
    if minutes is not None:
        return now_local + timedelta(minutes=minutes)
    today = now_local.date()
    try:
        return datetime.combine(_parse_clean(s, today, text), default_time)
    except DateParseError:
        pass
    m = _TIME.search(s)
    if m is None:
        raise DateParseError(text)
    at = _clock_time(m, text)
    day_part = _AT.sub("", s[: m.start()]).strip()
    if not day_part:
        moment = datetime.combine(today, at)
        return moment if moment > now_local else moment + timedelta(days=1)
    return datetime.combine(_parse_clean(day_part, today, text), at)


def looks_like_datetime(text: str) -> bool:
    """True when `text` is a deadline in an accepted shape (clock-free check)."""
    try:
        parse_datetime(text, now_local=datetime.combine(_SHAPE_TODAY, time(0, 0)))
    except DateParseError:
        return False
    return True
