"""What the queue looks like: ticket status, people ahead, estimated wait, the hall board."""

from __future__ import annotations

import datetime as dt
import functools
import math
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import Session

from content.overlay import notices_on
from protocol.enums import CALL_KINDS, QueueEventKind
from server.models import Hall, Service, User, Window, WindowService, as_utc, utcnow
from server.queue.core import Issued
from server.queue.hours import is_open, local_day, next_opening
from server.queue.models import AT_WINDOW, WAITING, QueueEvent, Ticket, TicketEvent
from server.ratings.models import Rating
from server.rawsql import RawStatement

DEFAULT_SERVICE_MINUTES = 6.0  # until a service has finished tickets of its own
RECENT_SERVICES = 20  # finished tickets the average service time is taken over
RECENT_CALLS = 8


def _iso(value: dt.datetime | None) -> str | None:
    utc = as_utc(value)
    return utc.isoformat() if utc else None


# Statements of every ticket view, built once (SQLAlchemy then reuses their compiled form).
# "finished" written out, not bound: the partial index of finished tickets applies only to
# a query that names its condition (SQLite's planner does not look into bound values).
_RECENT_SPANS = (
    select(Ticket.called_at, Ticket.finished_at)
    .where(Ticket.service_id == bindparam("service"),
           Ticket.state == literal_column("'finished'"),
           Ticket.called_at.is_not(None), Ticket.finished_at.is_not(None))
    .order_by(Ticket.finished_at.desc()).limit(RECENT_SERVICES))
_SERVICE_WINDOWS = (select(Window.number, Window.state).join(WindowService)
                    .where(WindowService.service_id == bindparam("service"))
                    .order_by(Window.number))
_RANK: Any = bindparam("rank", type_=Ticket.rank.type)
_ARRIVAL: Any = bindparam("arrival", type_=Ticket.arrival_at.type)
# No hall condition: the service is the hall's own, and the service's queue index then
# answers the count alone (ix_ticket_service_queue, server/queue/models.py).
_PEOPLE_AHEAD = select(func.count()).select_from(Ticket).where(
    Ticket.day == bindparam("day"),
    Ticket.service_id == bindparam("service"),
    Ticket.state.in_([literal_column(f"'{state}'") for state in WAITING]),  # not expanding
    (Ticket.rank < _RANK)
    | ((Ticket.rank == _RANK) & (Ticket.arrival_at < _ARRIVAL))
    | ((Ticket.rank == _RANK) & (Ticket.arrival_at == _ARRIVAL) & (Ticket.id < bindparam("id"))))

# The service's windows with the people ahead of a ticket on each row (one round trip).
_WINDOWS_AND_AHEAD = (
    select(Window.number, Window.state, _PEOPLE_AHEAD.scalar_subquery().label("ahead"))
    .join(WindowService).where(WindowService.service_id == bindparam("service"))
    .order_by(Window.number))


_RAW_WINDOWS_AND_AHEAD = RawStatement(_WINDOWS_AND_AHEAD)
_RAW_RECENT_SPANS = RawStatement(_RECENT_SPANS)


@functools.cache
def _datetime_reader(dialect: Dialect) -> Callable[[Any], Any]:
    """A datetime column's value as the driver returns it -> datetime (SQLite: text)."""
    reader = Ticket.finished_at.type.dialect_impl(dialect).result_processor(dialect, None)
    return reader or (lambda value: value)


# The issue path reuses a service's average for this long: it is an estimate, and reading
# the recent finished tickets was one of a ticket's eight statements.
REUSE_MINUTES_SECONDS = 10.0
_recent_minutes: weakref.WeakKeyDictionary[Engine, dict[int, tuple[float, float]]] = \
    weakref.WeakKeyDictionary()


def service_minutes(session: Session | Connection, service_id: int) -> float:
    """Average minutes from call to finish over the service's recent finished tickets."""
    rows: Sequence[tuple[Any, Any]]
    if isinstance(session, Connection):  # the issue path: on the DBAPI cursor
        known = _recent_minutes.setdefault(session.engine, {})
        now = time.monotonic()
        reused = known.get(service_id)
        if reused is not None and now - reused[0] < REUSE_MINUTES_SECONDS:
            return reused[1]
        as_datetime = _datetime_reader(session.dialect)
        rows = [(as_datetime(called), as_datetime(finished)) for called, finished
                in _RAW_RECENT_SPANS.rows(session, {"service": service_id})]
        known[service_id] = (now, _average_minutes(rows))
        return known[service_id][1]
    rows = [(row[0], row[1]) for row in session.execute(_RECENT_SPANS, {"service": service_id})]
    return _average_minutes(rows)


def _average_minutes(rows: Sequence[tuple[Any, Any]]) -> float:
    spans = [(finished - called).total_seconds() / 60 for called, finished in rows
             if called and finished]
    return sum(spans) / len(spans) if spans else DEFAULT_SERVICE_MINUTES


def open_windows(session: Session | Connection, service_id: int) -> int:
    """How many open windows serve the service now."""
    return int(session.scalar(
        select(func.count()).select_from(Window).join(WindowService)
        .where(WindowService.service_id == service_id, Window.state == "open")) or 0)


def serving_windows(session: Session, service_id: int) -> list[int]:
    """The numbers of the hall's windows that serve the service, in order (whatever their
    state now): where a visitor of this service goes in this hall."""
    return [int(number) for number in session.scalars(
        select(Window.number).join(WindowService)
        .where(WindowService.service_id == service_id).order_by(Window.number))]


def estimate_wait(session: Session | Connection, service_id: int, ahead: int,
                  open_count: int | None = None) -> int:
    """Minutes until a ticket with `ahead` people before it is called (open_count: the open
    windows serving the service, when the caller knows them)."""
    if ahead <= 0:
        return 0
    windows = max(1, open_windows(session, service_id) if open_count is None else open_count)
    return math.ceil(ahead * service_minutes(session, service_id) / windows)


def _service_windows(session: Session | Connection, service_id: int) -> list[tuple[int, str]]:
    """(number, state) of the windows that serve the service, in number order."""
    return [(int(number), state) for number, state in session.execute(
        _SERVICE_WINDOWS, {"service": service_id})]


def people_ahead(session: Session, ticket: Ticket) -> int:
    """Waiting tickets of the same queue that will be called before this one."""
    if ticket.state not in WAITING:
        return 0
    return int(session.scalar(_PEOPLE_AHEAD, {
        "day": ticket.day, "service": ticket.service_id,
        "rank": ticket.rank, "arrival": ticket.arrival_at, "id": ticket.id}) or 0)


def issued_view(session: Session, issued: Issued) -> dict[str, Any]:
    """ticket_view(private=True) of a ticket just issued, from what the issue path knows:
    no ORM loading on the busiest path.
    tests/server/test_ticket_path.py holds it equal to ticket_view."""
    connection = session.connection()  # the issue path's own statements: nothing to flush
    if issued.ahead is not None and issued.windows is not None:  # read while issuing
        windows, ahead = issued.windows, issued.ahead
    else:
        queue = {"day": issued.day, "service": issued.service_id,
                 "rank": issued.rank, "arrival": issued.at, "id": issued.id}
        rows = _RAW_WINDOWS_AND_AHEAD.rows(connection, queue)  # one statement for both
        windows = [(int(number), state) for number, state, _ahead in rows]
        ahead = int((rows[0][2] if rows else connection.execute(_PEOPLE_AHEAD, queue).scalar())
                    or 0)
    return {
        "id": issued.id, "number": issued.number, "state": "waiting",
        "priority": issued.priority, "service": issued.service,
        "service_name": issued.service_name, "service_name_en": issued.service_name_en,
        "day": issued.day, "issued_at": _iso(issued.at), "called_at": None,
        "finished_at": None, "call_count": 0, "window": None, "window_name": None,
        "close_reason": "", "visitor": False,
        "service_windows": [number for number, _state in windows], "rated": False,
        "token": issued.token, "people_ahead": ahead,
        "wait_minutes": estimate_wait(connection, issued.service_id, ahead,
                                      sum(1 for _number, state in windows if state == "open")),
    }


def ticket_view(session: Session, ticket: Ticket, *, with_wait: bool = True,
                private: bool = False) -> dict[str, Any]:
    """A ticket as terminals, the console and the phone page see it.

    private adds the phone page token: only for the terminal that issued the ticket.
    """
    service = ticket.service
    window = ticket.window
    windows = _service_windows(session, ticket.service_id)  # where to go, and how many open
    view: dict[str, Any] = {
        "id": ticket.id, "number": ticket.number, "state": ticket.state,
        "priority": ticket.priority, "service": service.code, "service_name": service.name,
        "service_name_en": service.name_en, "day": ticket.day,
        "issued_at": _iso(ticket.issued_at), "called_at": _iso(ticket.called_at),
        "finished_at": _iso(ticket.finished_at), "call_count": ticket.call_count,
        "window": window.number if window and ticket.state in (*AT_WINDOW, "held") else None,
        "window_name": window.name if window and ticket.state in AT_WINDOW else None,
        "close_reason": ticket.close_reason, "visitor": bool(ticket.visitor),
        "service_windows": [number for number, _state in windows],
        # Only a finished ticket can be rated (一次一评): the phone page offers it until then.
        "rated": ticket.state == "finished" and session.scalar(
            select(Rating.id).where(Rating.ticket_id == ticket.id)) is not None,
    }
    if private:
        view["token"] = ticket.token
    if with_wait:
        ahead = people_ahead(session, ticket)
        view["people_ahead"] = ahead
        view["wait_minutes"] = (estimate_wait(
            session, ticket.service_id, ahead,
            sum(1 for _number, state in windows if state == "open"))
            if ticket.state in WAITING else 0)
    return view


def waiting_counts(session: Session, hall_id: int, day: str) -> dict[int, int]:
    """Waiting tickets per service id today."""
    rows = session.execute(
        select(Ticket.service_id, func.count()).where(
            Ticket.hall_id == hall_id, Ticket.day == day, Ticket.state.in_(WAITING))
        .group_by(Ticket.service_id)).all()
    return {service_id: int(count) for service_id, count in rows}


def services_view(session: Session, hall: Hall, now: dt.datetime | None = None
                  ) -> list[dict[str, Any]]:
    """The hall's active services: open now or when they open, waiting, estimated wait."""
    now = now or utcnow()
    counts = waiting_counts(session, hall.id, local_day(now))
    services = session.scalars(select(Service).where(
        Service.hall_id == hall.id, Service.active.is_(True)).order_by(Service.code))
    result = []
    for service in services:
        waiting = counts.get(service.id, 0)
        opening = None if is_open(service.hours, now) else next_opening(service.hours, now)
        result.append({
            "code": service.code, "name": service.name, "name_en": service.name_en,
            "prefix": service.prefix, "open": is_open(service.hours, now),
            "opens_at": _iso(opening), "waiting": waiting,
            "wait_minutes": estimate_wait(session, service.id, waiting),
            "target_wait": service.target_wait, "hours": service.hours,
            "windows": serving_windows(session, service.id),
        })
    return result


def last_event_id(session: Session, hall_id: int) -> int:
    """The newest feed entry of the hall: subscribe after it to get what follows."""
    return int(session.scalar(select(func.max(QueueEvent.id))
                              .where(QueueEvent.hall_id == hall_id)) or 0)


def board_view(session: Session, hall: Hall, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything a calling display or the console shows, with the feed position it matches."""
    now = now or utcnow()
    day = local_day(now)
    event_id = last_event_id(session, hall.id)  # first, so nothing after it is missed
    windows = []
    for window in session.scalars(select(Window).where(Window.hall_id == hall.id)
                                  .order_by(Window.number)):
        current = session.scalar(select(Ticket).where(Ticket.window_id == window.id,
                                                      Ticket.state.in_(AT_WINDOW)))
        staff = session.get(User, window.staff_id) if window.staff_id else None
        windows.append({
            "id": window.id, "number": window.number, "name": window.name,
            "state": window.state, "pause_reason": window.pause_reason,
            "staff": staff.username if staff else None,
            "staff_name": staff.full_name if staff else "",  # 公示 on the rating pad
            "staff_no": staff.staff_no if staff else "",
            "staff_photo": (staff.photo_sha256 or "") if staff else "",  # media sha256
            "services": [service.code for service in window.services],
            "current": ticket_view(session, current, with_wait=False) if current else None,
        })
    calls = session.execute(
        select(TicketEvent, Ticket.number, Window.number)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .join(Window, Window.id == TicketEvent.window_id)
        .where(Ticket.hall_id == hall.id, Ticket.day == day,
               TicketEvent.kind.in_(CALL_KINDS))
        .order_by(TicketEvent.id.desc()).limit(RECENT_CALLS)).all()
    return {
        "hall": {"code": hall.code, "name": hall.name}, "day": day, "now": now.isoformat(),
        "last_event_id": event_id, "windows": windows,
        "services": services_view(session, hall, now),
        "recent_calls": [{"event_id": event.id, "number": number, "window": window_number,
                          "recall": event.kind == QueueEventKind.RECALLED, "at": _iso(event.at)}
                         for event, number, window_number in calls],
        "notices": notices_on((hall.overlay or {}).get("notices", []),
                              dt.date.fromisoformat(day)),
    }


def waiting_list(session: Session, hall: Hall, now: dt.datetime | None = None
                 ) -> list[dict[str, Any]]:
    """Today's waiting and held tickets in calling order, for the staff console."""
    now = now or utcnow()
    tickets = session.scalars(select(Ticket).where(
        Ticket.hall_id == hall.id, Ticket.day == local_day(now),
        Ticket.state.in_((*WAITING, "held"))).order_by(Ticket.rank, Ticket.arrival_at, Ticket.id))
    return [ticket_view(session, ticket, with_wait=False)
            | {"target_window": ticket.target_window_id,
               "held_at_window": ticket.window.number if ticket.state == "held" and ticket.window
               else None}
            for ticket in tickets]


NO_SHOWS_LISTED = 30


def no_show_list(session: Session, hall: Hall, now: dt.datetime | None = None
                 ) -> list[dict[str, Any]]:
    """Today's 过号 tickets, newest first, for the console's 今日过号 (call back)."""
    now = now or utcnow()
    tickets = session.scalars(select(Ticket).where(
        Ticket.hall_id == hall.id, Ticket.day == local_day(now), Ticket.state == "no_show")
        .order_by(Ticket.finished_at.desc(), Ticket.id.desc()).limit(NO_SHOWS_LISTED))
    return [ticket_view(session, ticket, with_wait=False)
            | {"skipped_at_window": ticket.window.number if ticket.window else None,
               "skipped_at": as_utc(ticket.finished_at)}
            for ticket in tickets]
