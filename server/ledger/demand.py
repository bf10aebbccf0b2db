"""需求研判 from the ledger: how many visits of each matter category (the service the
visitor was served under) in each week or month of a range, for the dashboard.

Sources: the ledger's entries. Cases (一案一码, issue #15 item 2) are not on main yet;
when they are, their counts by category join here as a second source (``by_bucket``
takes any (day, category) pairs)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.ledger.models import LedgerEntry
from server.ledger.views import NO_CATEGORY
from server.models import Service

WEEKLY_UP_TO = 92  # days: a longer range is counted by month
TOP = 8  # categories shown by name; the rest together as 其他


@dataclass
class DemandRow:
    """One matter category: its count in each bucket and in all."""

    label: str
    counts: list[int]
    total: int


@dataclass
class Demand:
    """Matters by category over time: bucket labels (oldest first) and one row per category,
    the largest first."""

    granularity: str  # "week" or "month"
    buckets: list[str]
    rows: list[DemandRow]
    total: int


def _bucket(day: dt.date, granularity: str) -> dt.date:
    if granularity == "month":
        return day.replace(day=1)
    return day - dt.timedelta(days=day.weekday())  # the Monday of its week


def _label(start: dt.date, granularity: str) -> str:
    if granularity == "month":
        return f"{start.year}年{start.month}月"
    return f"{start.month}/{start.day}周"


def granularity_for(start: dt.date, end: dt.date, asked: str = "") -> str:
    """By week for a range up to WEEKLY_UP_TO days, by month beyond, unless asked."""
    if asked in ("week", "month"):
        return asked
    return "week" if (end - start).days + 1 <= WEEKLY_UP_TO else "month"


def by_bucket(pairs: Iterable[tuple[dt.date, str, int]], start: dt.date, end: dt.date,
              granularity: str) -> Demand:
    """Counts of (day, category, count) summed per category and bucket."""
    firsts: list[dt.date] = []
    cursor = _bucket(start, granularity)
    while cursor <= end:
        firsts.append(cursor)
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1) if granularity == "month" \
            else cursor + dt.timedelta(days=7)
    index = {first: position for position, first in enumerate(firsts)}
    table: dict[str, list[int]] = {}
    for day, category, number in pairs:
        counts = table.setdefault(category, [0] * len(firsts))
        counts[index[_bucket(day, granularity)]] += number
    ranked = sorted(table.items(), key=lambda item: (-sum(item[1]), item[0]))
    rows = [DemandRow(label, counts, sum(counts)) for label, counts in ranked[:TOP]]
    if len(ranked) > TOP:
        rest = [sum(column) for column in zip(*(c for _l, c in ranked[TOP:]), strict=True)]
        rows.append(DemandRow("其他", rest, sum(rest)))
    return Demand(granularity, [_label(first, granularity) for first in firsts], rows,
                  sum(row.total for row in rows))


def matters(session: Session, hall_id: int, start: dt.date, end: dt.date,
            granularity: str = "") -> Demand:
    """The hall's ledger entries of start..end by matter category and week or month."""
    names = dict(session.execute(select(Service.id, Service.name)
                                 .where(Service.hall_id == hall_id)).all())
    counted = session.execute(
        select(LedgerEntry.day, LedgerEntry.service_id, func.count())
        .where(LedgerEntry.hall_id == hall_id, LedgerEntry.day >= start.isoformat(),
               LedgerEntry.day <= end.isoformat())
        .group_by(LedgerEntry.day, LedgerEntry.service_id)).all()
    merged: Counter[tuple[dt.date, str]] = Counter()
    for day, service_id, number in counted:
        merged[(dt.date.fromisoformat(day), names.get(service_id or 0, NO_CATEGORY))] += number
    return by_bucket(((day, label, number) for (day, label), number in merged.items()),
                     start, end, granularity_for(start, end, granularity))
