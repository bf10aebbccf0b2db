"""SQL pieces that differ between SQLite and PostgreSQL: durations, local hours, JSON fields,
and the 90th percentile (percentile_cont on PostgreSQL, a sorted scan on SQLite)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, cast, func, literal_column
from sqlalchemy.orm import InstrumentedAttribute

from server.queue.hours import LOCAL_TIME

ZONE = "Asia/Shanghai"  # China Standard Time, no daylight saving: the same as LOCAL_TIME


def seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[float]:
    """later - earlier in seconds (NULL when either is NULL)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    # SQLite keeps DateTime values as UTC text; julianday() reads it as days.
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def local_hour(dialect: str, column: Any) -> ColumnElement[int]:
    """The hour (0-23) of a UTC timestamp in China Standard Time."""
    if dialect == "postgresql":
        # The zone as a literal: the same expression must appear in SELECT and GROUP BY.
        return cast(func.extract("hour", func.timezone(literal_column(f"'{ZONE}'"), column)),
                    Integer)
    return cast(func.strftime("%H", column, "+8 hours"), Integer)


def json_text(column: InstrumentedAttribute[Any], key: str) -> ColumnElement[str]:
    """A JSON object's member as text."""
    text: ColumnElement[str] = column[key].as_string()
    return text


def json_is_zero(dialect: str, column: InstrumentedAttribute[Any],
                 key: str) -> ColumnElement[bool]:
    """Whether a JSON object's member is the number 0 (never an error on odd payloads)."""
    zero: ColumnElement[bool] = (column[key].as_string() == "0" if dialect == "postgresql"
                                 else func.json_extract(column, f"$.{key}") == 0)
    return zero


def utc_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where local day start begins and local day end is over."""
    begin = dt.datetime.combine(start, dt.time(), LOCAL_TIME).astimezone(dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), LOCAL_TIME)
    return begin, after.astimezone(dt.UTC)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """percentile_cont: linear interpolation between the closest ranks of sorted values."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)
