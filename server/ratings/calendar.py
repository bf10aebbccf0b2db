"""The holiday calendar that due dates in working days read: public holidays (off) and
adjusted working weekend days (调休上班), set one by one or imported from YAML.

The YAML shape (see holidays.yaml, shipped with the national list)::

    holidays:
      - name: 国庆节
        from: 2026-10-01
        to: 2026-10-07
        work: [2026-09-20, 2026-10-10]
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.ratings.models import CalendarDay

SHIPPED = Path(__file__).with_name("holidays.yaml")
NAME_MAX = 40
LONGEST_HOLIDAY = 31  # days; a longer range is a typing mistake


class CalendarError(ValueError):
    """A calendar entry or file that cannot be used; the message says what, in Chinese."""


def _checked(day: dt.date, off: bool, name: str) -> str:
    """The entry's name, stripped, once the entry is known to be a possible one."""
    name = name.strip()
    if len(name) > NAME_MAX:
        raise CalendarError(f"名称不能超过{NAME_MAX}个字。")
    if not off and day.weekday() < 5:
        raise CalendarError(f"{day.isoformat()} 是工作日，无需设为调休上班。")
    return name


def set_day(session: Session, day: dt.date, off: bool, name: str = "") -> CalendarDay:
    """Mark day as a holiday (off) or an adjusted working day (not off), replacing any
    entry it had (flushed, not committed)."""
    name = _checked(day, off, name)
    entry = session.get(CalendarDay, day)
    if entry is None:
        entry = CalendarDay(day=day, off=off, name=name)
        session.add(entry)
    else:
        entry.off, entry.name = off, name
    session.flush()
    return entry


def clear_day(session: Session, day: dt.date) -> bool:
    """Remove day's entry (it becomes an ordinary day again); whether there was one."""
    entry = session.get(CalendarDay, day)
    if entry is None:
        return False
    session.delete(entry)
    session.flush()
    return True


def days_between(session: Session, first: dt.date, last: dt.date) -> list[CalendarDay]:
    """The calendar entries from first to last, in order."""
    return list(session.scalars(select(CalendarDay).where(
        CalendarDay.day >= first, CalendarDay.day <= last).order_by(CalendarDay.day)))


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CalendarError(f"{where}: “{value}” 不是 YYYY-MM-DD 格式的日期。") from None


def parse_calendar(text: str) -> list[tuple[dt.date, bool, str]]:
    """The (day, off, name) entries of a calendar YAML text; CalendarError says what is
    wrong, naming the holiday."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CalendarError(f"YAML 格式错误：{exc}") from None
    except ValueError as exc:  # a date-shaped value that is no date, such as 2026-13-07
        raise CalendarError(f"文件中有无效日期（{exc}），日期应是真实的 YYYY-MM-DD。") from None
    holidays = data.get("holidays") if isinstance(data, dict) else None
    if not isinstance(holidays, list) or not holidays:
        raise CalendarError("文件中没有 holidays 列表。")
    entries: dict[dt.date, tuple[bool, str]] = {}
    for number, item in enumerate(holidays, 1):
        if not isinstance(item, dict) or not str(item.get("name", "")).strip():
            raise CalendarError(f"第 {number} 项缺少名称（name）。")
        name = str(item["name"]).strip()
        if len(name) > NAME_MAX - 4:
            raise CalendarError(f"{name}：名称过长。")
        unknown = set(item) - {"name", "from", "to", "work"}
        if unknown:
            raise CalendarError(f"{name}：未知字段 {', '.join(sorted(map(str, unknown)))}。")
        first = _date(item.get("from"), name)
        last = _date(item.get("to", first), name)
        if not 0 <= (last - first).days < LONGEST_HOLIDAY:
            raise CalendarError(f"{name}：结束日期应在开始日期之后且不超过{LONGEST_HOLIDAY}天。")
        work = item.get("work") or []
        if not isinstance(work, list):
            raise CalendarError(f"{name}：work 应是日期列表。")
        days = [(first + dt.timedelta(days=offset), True, name)
                for offset in range((last - first).days + 1)]
        for value in work:
            day = _date(value, name)
            if day.weekday() < 5 or first <= day <= last:
                raise CalendarError(f"{name}：调休上班日 {day.isoformat()} 应是假期以外的周末。")
            days.append((day, False, f"{name}调休上班"))
        for day, off, label in days:
            if day in entries and entries[day][0] != off:
                raise CalendarError(f"{day.isoformat()} 既是假日又是调休上班日。")
            entries[day] = (off, label)
    return [(day, off, name) for day, (off, name) in sorted(entries.items())]


def import_calendar(session: Session, source: str | Path = SHIPPED) -> int:
    """Write the days of a calendar YAML (a path, or the text itself) into the calendar,
    replacing entries of the same days; the number of days written (not committed)."""
    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
    entries = parse_calendar(text)
    if not entries:
        return 0
    # One read and one flush for the whole file (the shipped one is some 1,500 days).
    kept = {entry.day: entry for entry in session.scalars(select(CalendarDay).where(
        CalendarDay.day >= entries[0][0], CalendarDay.day <= entries[-1][0]))}
    for day, off, name in entries:
        name = _checked(day, off, name)
        entry = kept.get(day)
        if entry is None:
            session.add(CalendarDay(day=day, off=off, name=name))
        else:
            entry.off, entry.name = off, name
    session.flush()
    return len(entries)


def seed_calendar(sessions: Any) -> int:
    """The shipped national holidays, written once into an empty calendar (at server start,
    so due dates skip holidays without a manual import); days written, 0 if it had any."""
    with sessions() as session:
        if session.scalar(select(CalendarDay.day).limit(1)) is not None:
            return 0
        count = import_calendar(session, SHIPPED)
        try:
            session.commit()
        except IntegrityError:  # another server process seeded it at the same moment
            session.rollback()
            return 0
        return count
