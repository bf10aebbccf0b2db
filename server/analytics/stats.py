"""The supervisor dashboard's figures for one hall and a range of local (China) days:
queue figures by service and hour, ratings by window, staff and waiting band, follow-ups,
complaints, and what visitors read and searched for on the query terminals (需求研判).

Days that are over are read from their daily roll-ups (rollup.py, made here on first
use); the others are aggregated live from the rows with the same SQL. Waiting time is
arrival to (last) call; service time is start (or call) to 办结, of finished tickets;
percentiles are over whole seconds. A rating overturned on appeal (申诉成立) counts nowhere.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from server.analytics import rollup, sql, unanswered
from server.analytics.models import StatsDurations, StatsQueue, StatsRatings, StatsUsage
from server.analytics.rows import (
    BandRow,
    CountRow,
    Figures,
    HourRow,
    OverdueRow,
    QueueRow,
    RatingRow,
)
from server.models import Hall, Service, User, Window
from server.queue.hours import local_day
from server.queue.models import Ticket
from server.ratings.complaints import CATEGORIES
from server.ratings.models import Complaint, FollowUp, Rating

P90 = 0.9
TOP_GUIDES, TOP_SEARCHES, OVERDUE_LISTED, TOP_UNANSWERED = 15, 20, 50, 30


@dataclass
class _Scope:
    session: Session
    hall: Hall
    start: dt.date
    end: dt.date
    dialect: str = field(init=False)
    done: dict[str, set[str]] = field(init=False, default_factory=dict)  # rolled-up days

    def __post_init__(self) -> None:
        self.dialect = self.session.get_bind().dialect.name
        self.begin, self.after = sql.utc_bounds(self.start, self.end)

    def tickets(self) -> list[ColumnElement[bool]]:
        """Conditions on Ticket: this hall, issued on a day of the range."""
        return [Ticket.hall_id == self.hall.id,
                Ticket.day.between(self.start.isoformat(), self.end.isoformat())]

    def days(self, column: InstrumentedAttribute[str]) -> list[ColumnElement[bool]]:
        """Conditions on a local date column: a day of the range."""
        return [column.between(self.start.isoformat(), self.end.isoformat())]

    def created(self, column: InstrumentedAttribute[dt.datetime]) -> list[ColumnElement[bool]]:
        """Conditions on a UTC timestamp: within the local days of the range."""
        return [column >= self.begin, column < self.after]


def _queue(scope: _Scope) -> tuple[list[QueueRow], QueueRow, list[HourRow]]:
    session, hall_id = scope.session, scope.hall.id
    settled = scope.done[rollup.QUEUE]
    live = [day for day in rollup.days_between(scope.start, scope.end) if day not in settled]
    services = {s.id: s for s in session.scalars(select(Service).where(
        Service.hall_id == hall_id).order_by(Service.prefix, Service.code))}
    sums = [func.sum(column) for column in (
        StatsQueue.tickets, StatsQueue.called, StatsQueue.finished, StatsQueue.no_show,
        StatsQueue.over_target, StatsQueue.wait_total, StatsQueue.service_total)]
    groups: list[Any] = list(session.execute(
        select(literal_column("''"), StatsQueue.service_id, StatsQueue.hour, *sums)
        .where(StatsQueue.hall_id == hall_id, *scope.days(StatsQueue.day),
               StatsQueue.day.not_in(live))
        .group_by(StatsQueue.service_id, StatsQueue.hour)))
    if live:
        groups += session.execute(rollup.queue_select(scope.dialect).where(
            Ticket.hall_id == hall_id, Ticket.day.in_(live)))
    rows: dict[int, QueueRow] = {}
    hours: dict[int, HourRow] = {}
    for _day, service_id, at, *counts in groups:
        service = services[service_id]
        item = rows.setdefault(service_id, QueueRow(service.name, service.target_wait,
                                                    service_id))
        tickets, called, finished, no_show, late, waited, serving = counts
        item.add(int(tickets), int(called), int(finished or 0), int(no_show or 0),
                 int(late or 0), float(waited or 0), float(serving or 0))
        hour = hours.setdefault(at, HourRow(at))
        hour.by_service[service_id] = hour.by_service.get(service_id, 0) + int(tickets)
    ordered = [rows[s] for s in services if s in rows]
    total = QueueRow("全部业务", None)
    for item in ordered:
        total.add(item.tickets, item.called, item.finished, item.no_show, item.over_target,
                  item.wait_total, item.service_total)
    _percentiles(scope, live, rows, total)
    return ordered, total, [hours[h] for h in sorted(hours)]


def _percentiles(scope: _Scope, live: list[str], rows: dict[int, QueueRow],
                 total: QueueRow) -> None:
    """p90 of waiting and service time (whole seconds) per service and for the hall."""
    waits: dict[int, list[int]] = {}
    served: dict[int, list[int]] = {}
    for service_id, stored_waits, stored_services in scope.session.execute(
            select(StatsDurations.service_id, StatsDurations.waits, StatsDurations.services)
            .where(StatsDurations.hall_id == scope.hall.id, *scope.days(StatsDurations.day),
                   StatsDurations.day.not_in(live))):
        waits.setdefault(service_id, []).extend(json.loads(stored_waits))
        served.setdefault(service_id, []).extend(json.loads(stored_services))
    if live:
        for _day, service_id, waited, took in scope.session.execute(
                rollup.durations_select(scope.dialect).where(
                    Ticket.hall_id == scope.hall.id, Ticket.day.in_(live))):
            waits.setdefault(service_id, []).append(round(waited))
            if took is not None:
                served.setdefault(service_id, []).append(round(took))
    for service_id, item in rows.items():
        item.wait_p90 = _minutes(sorted(waits.get(service_id, [])))
        item.service_p90 = _minutes(sorted(served.get(service_id, [])))
    total.wait_p90 = _minutes(sorted(v for values in waits.values() for v in values))
    total.service_p90 = _minutes(sorted(v for values in served.values() for v in values))


def _minutes(ordered: list[int]) -> float | None:
    value = sql.percentile(ordered, P90)
    return None if value is None else value / 60


def _rating_groups(scope: _Scope) -> tuple[dict[tuple[int, int, int, int], int], int]:
    """Ratings by (window, staff, level, band): stored days, then the rest live; ratings
    overturned on appeal (申诉成立, see ratings.workflow) taken off. Also how many were."""
    session, hall_id = scope.session, scope.hall.id
    first_live = rollup.live_from(scope.done[rollup.RATINGS], scope.start, scope.end)
    groups: dict[tuple[int, int, int, int], int] = {}
    stored = (select(StatsRatings.window_id, StatsRatings.staff_id, StatsRatings.level,
                     StatsRatings.band, func.sum(StatsRatings.count))
              .where(StatsRatings.hall_id == hall_id, *scope.days(StatsRatings.day))
              .group_by(StatsRatings.window_id, StatsRatings.staff_id, StatsRatings.level,
                        StatsRatings.band))
    if first_live is not None:
        stored = stored.where(StatsRatings.day < first_live)
    for window, staff, level, band, count in session.execute(stored):
        groups[window, staff, level, band] = int(count)
    if first_live is not None:
        begin, _ = sql.utc_bounds(dt.date.fromisoformat(first_live), scope.end)
        for _day, window, staff, level, band, count in session.execute(rollup.ratings_select(
                scope.dialect, hall_id, begin, scope.after)):
            key = (window, staff, level, band)
            groups[key] = groups.get(key, 0) + count
    overturned = list(session.scalars(select(FollowUp.rating_id).where(
        FollowUp.hall_id == hall_id, FollowUp.appeal_decision == "overturned",
        FollowUp.rating_id.is_not(None))))  # few: looked up by id, not by scanning
    excluded = 0
    for _day, window, staff, level, band, count in session.execute(rollup.ratings_select(
            scope.dialect, hall_id, scope.begin, scope.after).where(
            Rating.id.in_(overturned))) if overturned else ():
        groups[window, staff, level, band] -= count
        excluded += count
    return groups, excluded


def _ratings(scope: _Scope) -> tuple[RatingRow, list[RatingRow], list[RatingRow], int,
                                      list[BandRow]]:
    session, hall = scope.session, scope.hall
    groups, excluded = _rating_groups(scope)
    windows = {w.id: f"{w.number} 号窗口 · {w.name}" for w in session.scalars(
        select(Window).where(Window.hall_id == hall.id).order_by(Window.number))}
    staff_ids = {staff for (_w, staff, _l, _b) in groups if staff}
    people = {u.id: u.full_name or u.username for u in session.scalars(
        select(User).where(User.id.in_(staff_ids)))} if staff_ids else {}
    total = RatingRow("全部评价")
    by_window: dict[int, RatingRow] = {}
    by_staff: dict[int, RatingRow] = {}
    bands = [BandRow(label, 0, 0) for _limit, label in rollup.WAIT_BANDS]
    for (window_id, staff_id, level, band), count in groups.items():
        if not count:
            continue
        total.levels[level] += count
        window = by_window.setdefault(window_id, RatingRow(
            windows.get(window_id, "已撤销的窗口") if window_id else "大厅总体评价（未关联窗口）",
            order=list(windows).index(window_id) if window_id in windows else len(windows)))
        window.levels[level] += count
        if staff_id:
            person = by_staff.setdefault(staff_id, RatingRow(people.get(staff_id, "?")))
            person.levels[level] += count
        if band >= 0:
            bands[band].ratings += count
            bands[band].satisfied += count if level >= 4 else 0
    return (total, sorted(by_window.values(), key=lambda r: r.order),
            sorted(by_staff.values(), key=lambda r: r.label), excluded, bands)


def _follow_ups(scope: _Scope, today: dt.date) -> tuple[dict[str, int], list[OverdueRow], int]:
    session, hall = scope.session, scope.hall
    states = dict(session.execute(select(FollowUp.state, func.count()).where(
        FollowUp.hall_id == hall.id, *scope.created(FollowUp.created_at))
        .group_by(FollowUp.state)).all())
    overdue = [FollowUp.hall_id == hall.id, FollowUp.state != "closed", FollowUp.due_on < today]
    count = session.scalar(select(func.count()).select_from(FollowUp).where(*overdue)) or 0
    listed = []
    for item, window, person, full_name in session.execute(
            select(FollowUp, Window.number, User.username, User.full_name)
            .outerjoin(Window, Window.id == FollowUp.window_id)
            .outerjoin(User, User.id == FollowUp.staff_id)
            .where(*overdue).order_by(FollowUp.due_on, FollowUp.id).limit(OVERDUE_LISTED)):
        listed.append(OverdueRow(item.id, item.kind, item.state, item.due_on,
                                 (today - item.due_on).days,
                                 f"{window} 号窗口" if window is not None else "",
                                 full_name or person or "",
                                 dt.date.fromisoformat(local_day(item.created_at))))
    return states, listed, count


def _complaints(scope: _Scope) -> list[CountRow]:
    counts = dict(scope.session.execute(select(Complaint.category, func.count()).where(
        Complaint.hall_id == scope.hall.id, *scope.created(Complaint.created_at))
        .group_by(Complaint.category)).all())
    return [CountRow(label, counts[key], key) for key, (label, _en) in CATEGORIES.items()
            if counts.get(key)]


def _usage(scope: _Scope, titles: dict[str, str]) -> tuple[list[CountRow], int, int,
                                                            list[CountRow]]:
    """Guides opened and searches that found nothing: stored days, then the rest live."""
    live_from = rollup.live_from(scope.done[rollup.USAGE], scope.start, scope.end)
    counts: dict[str, dict[str, int]] = {kind: {} for kind in ("guide", "search", "empty",
                                                                 "wanted")}
    stored = (select(StatsUsage.kind, StatsUsage.key, func.sum(StatsUsage.count))
              .where(StatsUsage.hall_id == scope.hall.id, *scope.days(StatsUsage.day))
              .group_by(StatsUsage.kind, StatsUsage.key))
    if live_from is not None:
        stored = stored.where(StatsUsage.day < live_from)
    for kind, key, count in scope.session.execute(stored):
        counts[kind][key] = counts[kind].get(key, 0) + int(count)
    if live_from is not None:
        begin, _ = sql.utc_bounds(dt.date.fromisoformat(live_from), scope.end)
        for kind, statement in rollup.usage_selects(scope.dialect, scope.hall.id, begin,
                                                    scope.after).items():
            for _day, key, count in scope.session.execute(statement):
                counts[kind][key] = counts[kind].get(key, 0) + int(count)
    return (_top(counts["guide"], TOP_GUIDES, titles), sum(counts["search"].values()),
            sum(counts["empty"].values()), _top(counts["wanted"], TOP_SEARCHES, {}))


def _top(counts: dict[str, int], limit: int, titles: dict[str, str]) -> list[CountRow]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [CountRow(titles.get(key, key), count, key) for key, count in ranked]


def figures(session: Session, hall: Hall, start: dt.date, end: dt.date, *,
            today: dt.date | None = None, titles: dict[str, str] | None = None) -> Figures:
    """Every dashboard figure for hall over the local days start..end (inclusive). Days
    before today that are over get their roll-ups here (flushed: commit to keep them)."""
    today = today or dt.date.fromisoformat(local_day(dt.datetime.now(dt.UTC)))
    scope = _Scope(session, hall, start, end)
    scope.done = rollup.ensure(session, hall.id, start, end, today)
    services, total, hours = _queue(scope)
    ratings, by_window, by_staff, excluded, bands = _ratings(scope)
    states, overdue, overdue_total = _follow_ups(scope, today)
    guides, searches, fruitless, wanted = _usage(scope, titles or {})
    asked, unanswered_rows = unanswered.top(session, hall.id, start, end, TOP_UNANSWERED)
    return Figures(hall.name, start, end, today, services, total, hours, ratings, by_window,
                   by_staff, excluded, bands, states, overdue, overdue_total,
                   _complaints(scope), guides, searches, fruitless, wanted, asked,
                   unanswered_rows)

