"""Opening hours, in the halls' local time (China Standard Time), for server and terminal.

Hours are a table per weekday, ``{"mon": ["09:00-12:00", "13:30-17:00"], ...}``: a
queue service's hours on the server and a terminal's ``[service] opening_hours``;
a day missing from a non-empty table is closed, an empty table means always open.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

LOCAL_TIME = dt.timezone(dt.timedelta(hours=8), "CST")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class HoursError(ValueError):
    """An opening-hours table that cannot be read."""


def local_now(now: dt.datetime) -> dt.datetime:
    """now (aware) in the halls' local time."""
    return now.astimezone(LOCAL_TIME)


def local_day(now: dt.datetime) -> str:
    """The local date of now as YYYY-MM-DD: numbers restart when it changes."""
    return local_now(now).strftime("%Y-%m-%d")


def day_ranges(value: Any) -> list[tuple[dt.time, dt.time]]:
    """One day's HH:MM-HH:MM ranges as sorted (start, end) times; HoursError if wrong."""
    if not isinstance(value, list):
        raise HoursError("each day needs a list of HH:MM-HH:MM ranges")
    ranges = []
    for item in value:
        match = _RANGE.match(item) if isinstance(item, str) else None
        if match is None:
            raise HoursError(f"{item!r} is not a time range like 09:00-17:00")
        start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
        start = dt.time(start_h, start_m)
        end = dt.time.max if end_h == 24 else dt.time(end_h, end_m)
        if end <= start:
            raise HoursError(f"{item!r} must end after it starts")
        ranges.append((start, end))
    return sorted(ranges)


def validate_hours(hours: dict[str, Any]) -> dict[str, list[str]]:
    """hours checked and returned; HoursError names what is wrong."""
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise HoursError(f"unknown weekday(s) {', '.join(sorted(unknown))}; use {WEEKDAYS}")
    for value in hours.values():
        day_ranges(value)
    return {day: list(value) for day, value in hours.items()}


def is_open(hours: dict[str, Any], now: dt.datetime) -> bool:
    """Whether a service with these hours is open at now."""
    if not hours:
        return True
    local = local_now(now)
    today = day_ranges(hours.get(WEEKDAYS[local.weekday()], []))
    return any(start <= local.time() < end for start, end in today)


def next_opening(hours: dict[str, Any], now: dt.datetime) -> dt.datetime | None:
    """When a closed service opens next (local time), within a week; None if never."""
    if not hours:
        return None
    local = local_now(now)
    for offset in range(8):
        day = local.date() + dt.timedelta(days=offset)
        for start, _end in day_ranges(hours.get(WEEKDAYS[day.weekday()], [])):
            opening = dt.datetime.combine(day, start, LOCAL_TIME)
            if opening > local:
                return opening
    return None


def describe_opening(opening: dt.datetime | None, now: dt.datetime) -> str:
    """When it opens, in words for a visitor: 今天 09:00, 明天 09:00 or 11月25日 09:00."""
    if opening is None:
        return "暂停办理"
    days = (opening.date() - local_now(now).date()).days
    when = {0: "今天", 1: "明天"}.get(days, f"{opening.month}月{opening.day}日")
    return f"{when} {opening:%H:%M}"


DAY_NAMES = {"zh_CN": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
             "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def describe_hours(hours: dict[str, Any], language: str = "zh_CN") -> list[str]:
    """The hours for people, days with the same hours joined: 周一至周五 09:00-17:00."""
    names = DAY_NAMES.get(language, DAY_NAMES["en"])
    joiner = "至" if language == "zh_CN" else "–"
    lines: list[str] = []
    start = 0
    for index in range(1, len(WEEKDAYS) + 1):
        ranges = hours.get(WEEKDAYS[start]) or []
        if index < len(WEEKDAYS) and (hours.get(WEEKDAYS[index]) or []) == ranges:
            continue
        if ranges:
            days = names[start] if index - 1 == start else \
                f"{names[start]}{joiner}{names[index - 1]}"
            lines.append(f"{days} {' '.join(ranges)}")
        start = index
    return lines
