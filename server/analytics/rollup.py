"""Per-day figures as SQL, used live for days that can still change and stored (models.py)
for days that are over; ``ensure`` rolls up the days of a range that are over and not
rolled up yet, in a savepoint of the caller's transaction."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Date, Select, case, cast, delete, func, insert, literal_column, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from server.analytics import sql
from server.analytics.models import (
    StatsDay,
    StatsDurations,
    StatsQueue,
    StatsRatings,
    StatsUsage,
)
from server.models import OutboxReceipt, Service, Terminal
from server.queue.models import OPEN_STATES, Ticket
from server.ratings.models import Rating

log = logging.getLogger(__name__)
QUEUE, RATINGS, USAGE = "queue", "ratings", "usage"
QUERY_MAX = 200  # search texts are grouped on their first 200 characters
# Satisfaction against waiting time: upper bounds in minutes (the last band is open).
WAIT_BANDS = ((10, "10分钟以内"), (20, "10–20分钟"), (30, "20–30分钟"), (60, "30–60分钟"),
              (None, "60分钟以上"))


def queue_select(dialect: str) -> Select[*tuple[Any, ...]]:
    """Counts and time sums of tickets by day, service and local hour (add a where)."""
    wait = sql.seconds_between(dialect, Ticket.called_at, Ticket.arrival_at)
    finished = Ticket.state == "finished"
    hour = sql.local_hour(dialect, Ticket.arrival_at)
    return (select(Ticket.day, Ticket.service_id, hour, func.count(),
                   func.count(Ticket.called_at), func.sum(case((finished, 1), else_=0)),
                   func.sum(case((Ticket.state == "no_show", 1), else_=0)),
                   func.sum(case((wait > Service.target_wait * 60, 1), else_=0)),
                   func.sum(wait), func.sum(case((finished, served_seconds(dialect)))))
            .join(Service, Service.id == Ticket.service_id)
            .group_by(Ticket.day, Ticket.service_id, hour))


def served_seconds(dialect: str) -> Any:
    """Service time of a ticket: from start (or call) to 办结."""
    return sql.seconds_between(dialect, Ticket.finished_at,
                               func.coalesce(Ticket.started_at, Ticket.called_at))


def durations_select(dialect: str) -> Select[*tuple[Any, ...]]:
    """Day, service, waiting and service time (NULL unless finished) of called tickets."""
    return select(Ticket.day, Ticket.service_id,
                  sql.seconds_between(dialect, Ticket.called_at, Ticket.arrival_at),
                  case((Ticket.state == "finished", served_seconds(dialect)))).where(
        Ticket.called_at.is_not(None))


def _local_date(dialect: str, column: Any) -> Any:
    if dialect == "postgresql":
        return cast(func.timezone(literal_column(f"'{sql.ZONE}'"), column), Date)
    return func.date(column, "+8 hours")


def usage_selects(dialect: str, hall_id: int, begin: dt.datetime,
                  after: dt.datetime) -> dict[str, Select[*tuple[Any, ...]]]:
    """Per local day and key: guides opened, searches (all, empty) and texts not found."""
    payload = OutboxReceipt.payload
    # Counted on the day the visitor did it, not the day an offline terminal delivered it.
    day = _local_date(dialect, OutboxReceipt.occurred_at)
    where = [OutboxReceipt.terminal_id.in_(select(Terminal.id).where(Terminal.hall_id == hall_id)),
             OutboxReceipt.occurred_at >= begin, OutboxReceipt.occurred_at < after]
    key = sql.json_text(payload, "key")
    empty = sql.json_is_zero(dialect, payload, "results")
    query = func.substr(func.lower(func.trim(sql.json_text(payload, "query"))), 1, QUERY_MAX)
    searches = [OutboxReceipt.kind == "usage.search", *where]
    return {
        "guide": select(day, key, func.count()).where(
            OutboxReceipt.kind == "usage.screen", *where, key.is_not(None),
            sql.json_text(payload, "screen") == "guide_detail").group_by(day, key),
        "search": select(day, literal_column("''"), func.count()).where(*searches)
        .group_by(day),
        "empty": select(day, literal_column("''"), func.count()).where(*searches, empty)
        .group_by(day),
        "wanted": select(day, query, func.count()).where(*searches, empty, query != "")
        .group_by(day, query),
    }


def ratings_select(dialect: str, hall_id: int, begin: dt.datetime,
                   after: dt.datetime) -> Select[*tuple[Any, ...]]:
    """Ratings by local day, window, staff member, level and waiting band of the ticket
    (window and staff 0 when none, band -1 when there is no called ticket)."""
    wait = sql.seconds_between(dialect, Ticket.called_at, Ticket.arrival_at)
    band = case((Ticket.called_at.is_(None), -1),
                *[(wait < limit * 60, index) for index, (limit, _label)
                  in enumerate(WAIT_BANDS) if limit is not None], else_=len(WAIT_BANDS) - 1)
    day = _local_date(dialect, Rating.created_at)
    window = func.coalesce(Rating.window_id, 0)
    staff = func.coalesce(Rating.staff_id, 0)
    return (select(day, window, staff, Rating.level, band, func.count())
            .outerjoin(Ticket, Ticket.id == Rating.ticket_id)
            .where(Rating.hall_id == hall_id, Rating.created_at >= begin,
                   Rating.created_at < after)
            .group_by(day, window, staff, Rating.level, band))


def day_text(value: Any) -> str:
    """A local date from SQL (date or text) as YYYY-MM-DD."""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def days_between(start: dt.date, end: dt.date) -> list[str]:
    """Every local date from start to end, as text."""
    return [(start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def _roll_queue(session: Session, hall_id: int, days: list[str]) -> None:
    dialect = session.get_bind().dialect.name
    rows = session.execute(queue_select(dialect).where(
        Ticket.hall_id == hall_id, Ticket.day.in_(days))).all()
    names = ("day", "service_id", "hour", "tickets", "called", "finished", "no_show",
             "over_target", "wait_total", "service_total")
    if rows:
        session.execute(insert(StatsQueue), [
            {"hall_id": hall_id, **dict(zip(names, row, strict=True)),
             "wait_total": row[8] or 0.0, "service_total": row[9] or 0.0} for row in rows])
    waits: dict[tuple[str, int], list[int]] = {}
    served: dict[tuple[str, int], list[int]] = {}
    for day, service_id, waited, took in session.execute(durations_select(dialect).where(
            Ticket.hall_id == hall_id, Ticket.day.in_(days))):
        waits.setdefault((day, service_id), []).append(round(waited))
        if took is not None:
            served.setdefault((day, service_id), []).append(round(took))
    if waits:
        session.execute(insert(StatsDurations), [
            {"hall_id": hall_id, "day": day, "service_id": service_id,
             "waits": json.dumps(sorted(values)),
             "services": json.dumps(sorted(served.get((day, service_id), [])))}
            for (day, service_id), values in waits.items()])


def _roll_usage(session: Session, hall_id: int, days: list[str]) -> None:
    dialect = session.get_bind().dialect.name
    wanted = set(days)
    begin, after = sql.utc_bounds(dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1]))
    rows = []
    for kind, statement in usage_selects(dialect, hall_id, begin, after).items():
        for day, key, count in session.execute(statement):
            if day_text(day) in wanted:
                rows.append({"hall_id": hall_id, "day": day_text(day), "kind": kind,
                             "key": key, "count": count})
    if rows:
        session.execute(insert(StatsUsage), rows)


def _roll_ratings(session: Session, hall_id: int, days: list[str]) -> None:
    dialect = session.get_bind().dialect.name
    wanted = set(days)
    begin, after = sql.utc_bounds(dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1]))
    names = ("day", "window_id", "staff_id", "level", "band", "count")
    rows = [{"hall_id": hall_id, **dict(zip(names, row, strict=True)), "day": day_text(row[0])}
            for row in session.execute(ratings_select(dialect, hall_id, begin, after))
            if day_text(row[0]) in wanted]
    if rows:
        session.execute(insert(StatsRatings), rows)


def ensure(session: Session, hall_id: int, start: dt.date, end: dt.date,
           today: dt.date) -> dict[str, set[str]]:
    """Roll up the days of start..end before today that are over; return, per part, the
    days of the range whose roll-ups exist."""
    done: dict[str, set[str]] = {QUEUE: set(), RATINGS: set(), USAGE: set()}
    for day, part in session.execute(select(StatsDay.day, StatsDay.part).where(
            StatsDay.hall_id == hall_id, StatsDay.day.between(start.isoformat(),
                                                              end.isoformat()))):
        done[part].add(day)
    last = min(end, today - dt.timedelta(days=1))
    past = days_between(start, last) if last >= start else []
    missing = {part: [d for d in past if d not in done[part]] for part in done}
    if missing[QUEUE]:  # a past day still holding open tickets is not over yet
        open_days = set(session.scalars(select(Ticket.day).distinct().where(
            Ticket.hall_id == hall_id, Ticket.day.in_(missing[QUEUE]),
            Ticket.state.in_(OPEN_STATES))))
        missing[QUEUE] = [d for d in missing[QUEUE] if d not in open_days]
    for part, roll in ((QUEUE, _roll_queue), (RATINGS, _roll_ratings), (USAGE, _roll_usage)):
        days = missing[part]
        if not days:
            continue
        try:
            with session.begin_nested():
                roll(session, hall_id, days)
                session.execute(insert(StatsDay), [
                    {"hall_id": hall_id, "day": day, "part": part} for day in days])
        except (IntegrityError, DBAPIError) as error:  # another request rolled them up
            log.info("roll-up of %s for hall %s skipped: %s", part, hall_id, error)
            continue
        done[part].update(days)
    return done


def live_from(done: set[str], start: dt.date, end: dt.date) -> str | None:
    """The first day of start..end not rolled up: the range is read from the roll-ups
    before it and live from it on (None: all rolled up)."""
    return next((day for day in days_between(start, end) if day not in done), None)


def reopen(session: Session, hall_id: int, part: str, days: Iterable[str]) -> None:
    """Drop one part's roll-ups of these days: a terminal that was offline delivered a
    rating or usage event of a day already rolled up, so the day is rolled up again."""
    days = sorted(set(days))
    if not days:
        return
    model: type[StatsRatings] | type[StatsUsage] = StatsRatings if part == RATINGS else StatsUsage
    session.execute(delete(model).where(model.hall_id == hall_id, model.day.in_(days)))
    session.execute(delete(StatsDay).where(StatsDay.hall_id == hall_id, StatsDay.part == part,
                                           StatsDay.day.in_(days)))


def forget(session: Session, hall_id: int, days: Iterable[str]) -> None:
    """Drop the roll-ups of these days (their rows are about to change)."""
    days = list(days)
    for model in (StatsDay, StatsQueue, StatsDurations, StatsRatings, StatsUsage):
        session.execute(delete(model).where(model.hall_id == hall_id, model.day.in_(days)))
