"""The queue's foundations: write transactions, the event log and the hall's feed, the
service a ticket is issued for, day end (issuing itself: server/queue/issuing.py).

Every queue change runs in one write transaction started by ``begin_write``: on
SQLite that is ``BEGIN IMMEDIATE`` (writers queue up on the database lock instead
of failing when a read snapshot turns stale), on PostgreSQL rows are locked with
``FOR UPDATE``. Numbers come from an upsert on the service's counter row for the
day, so they are unique and contiguous; the counter and the ticket commit together.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, event, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from protocol.enums import QueueEventKind
from server.models import Service, Window
from server.queue.errors import QueueError
from server.queue.hours import local_day
from server.queue.models import (
    OPEN_STATES,
    QueueEvent,
    Ticket,
    TicketEvent,
)

log = logging.getLogger(__name__)
NOTIFY_CHANNEL = "hallkiosk_queue"
WAKE_KEY = "queue_wake"  # session.info: halls whose subscribers wake after commit
FEED_DAYS = 3  # days of the change feed kept for reconnecting subscribers


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer (see the module docstring)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_window(session: Session, window_id: int) -> Window:
    """The window, locked for this transaction: one action at a time per window."""
    window = session.get(Window, window_id, with_for_update=True, populate_existing=True)
    if window is None:
        raise QueueError("unknown_window")
    return window


def record(session: Session, ticket: Ticket | None, hall_id: int, kind: QueueEventKind,
           actor: str,
           now: dt.datetime, window: Window | None = None, **detail: Any) -> QueueEvent:
    """Log kind for ticket, append it to the hall's feed and wake subscribers on commit;
    the feed row (its id is set once flushed)."""
    if ticket is not None:
        session.add(TicketEvent(ticket_id=ticket.id, kind=kind, at=now, actor=actor,
                                window_id=window.id if window else None, detail=detail))
    payload: dict[str, Any] = {"actor": actor, **detail}
    if ticket is not None:
        payload["ticket"] = ticket.id
    if window is not None:
        payload["window"] = window.number
    row = QueueEvent(hall_id=hall_id, kind=kind, payload=payload, created_at=now)
    session.add(row)
    announce(session, session.connection(), hall_id)
    return row


def announce(session: Session, connection: Connection, hall_id: int) -> None:
    """Wake the hall's subscribers once the transaction commits: on PostgreSQL a NOTIFY
    (delivered at commit, to every process), and this process's own at once."""
    if connection.dialect.name == "postgresql":
        connection.execute(_NOTIFY, {"channel": NOTIFY_CHANNEL, "hall": str(hall_id)})
    session.info.setdefault(WAKE_KEY, set()).add(hall_id)


_SERVICE_CODE = ((Service.code == bindparam("code")) | (Service.prefix == bindparam("code")))
_FIND_SERVICE = select(Service).where(
    Service.hall_id == bindparam("hall"), Service.active.is_(True), _SERVICE_CODE)
# A service as the issue path reads it, also as part of a larger row (the ticket route
# reads it with the terminal that signed): labelled columns, see ServiceRow.
SERVICE_COLUMNS = (Service.id.label("service_id"), Service.code.label("service_code"),
                   Service.name.label("service_name"),
                   Service.name_en.label("service_name_en"),
                   Service.prefix.label("service_prefix"), Service.hours.label("service_hours"),
                   Service.daily_cap.label("service_daily_cap"))
_SERVICE_ROW = select(*SERVICE_COLUMNS).where(
    Service.hall_id == bindparam("hall"), Service.active.is_(True), _SERVICE_CODE)
_NOTIFY = text("SELECT pg_notify(:channel, :hall)")


def service_of(hall_id: Any) -> Any:
    """The join condition of the active service of hall_id (a column or a value) whose code
    or prefix is the bound parameter "code"."""
    return (Service.hall_id == hall_id) & Service.active.is_(True) & _SERVICE_CODE


@dataclass(frozen=True)
class ServiceRow:
    """What issuing needs of a service."""

    id: int
    code: str
    name: str
    name_en: str
    prefix: str
    hours: dict[str, Any]
    daily_cap: int

    @classmethod
    def of(cls, row: Any, code: str) -> ServiceRow:
        """The service of a row with SERVICE_COLUMNS; QueueError unknown_service if none."""
        if row is None or row.service_id is None:
            raise QueueError("unknown_service", code[:40])
        return cls(row.service_id, row.service_code, row.service_name, row.service_name_en,
                   row.service_prefix, row.service_hours, row.service_daily_cap)


def find_service_row(connection: Connection, hall_id: int, code: str) -> ServiceRow:
    """The hall's active service with this code (or prefix), as issuing reads it."""
    return ServiceRow.of(connection.execute(_SERVICE_ROW, {"hall": hall_id, "code": code})
                         .first(), code)


@dataclass(frozen=True)
class Issued:
    """A ticket just issued (not committed), as the issue path knows it without loading it."""

    id: int
    hall_id: int
    service_id: int
    service: str  # code
    service_name: str
    service_name_en: str
    number: str
    day: str
    priority: str
    rank: int
    token: str
    at: dt.datetime  # arrival and issue
    # read with it (PostgreSQL): the people ahead, the service's windows (number, state)
    ahead: int | None = None
    windows: list[tuple[int, str]] | None = None


def find_service(session: Session, hall_id: int, code: str) -> Service:
    """The hall's active service with this code (or prefix)."""
    service = session.scalar(_FIND_SERVICE, {"hall": hall_id, "code": code})
    if service is None:
        raise QueueError("unknown_service", code[:40])
    return service


def close_past_days(session: Session, hall_id: int, now: dt.datetime) -> int:
    """Close the unserved tickets of earlier days (批量弃号 at day end); how many."""
    today = local_day(now)
    stale = list(session.scalars(select(Ticket).where(
        Ticket.hall_id == hall_id, Ticket.state.in_(OPEN_STATES), Ticket.day < today)))
    for ticket in stale:
        ticket.state, ticket.close_reason = "cancelled", "day_end"
        session.add(TicketEvent(ticket_id=ticket.id, kind=QueueEventKind.CLOSED, at=now,
                                actor="system", detail={"reason": "day_end"}))
    if stale:
        record(session, None, hall_id, QueueEventKind.DAY_CLOSED, "system", now,
               closed=len(stale))
        horizon = now - dt.timedelta(days=FEED_DAYS)
        session.execute(delete(QueueEvent).where(QueueEvent.hall_id == hall_id,
                                                 QueueEvent.created_at < horizon))
        session.execute(update(Window).where(Window.hall_id == hall_id)
                        .values(state="closed", pause_reason="", staff_id=None))
        log.info("hall %s: closed %d unserved ticket(s) of earlier days", hall_id, len(stale))
    return len(stale)


# (engine, hall id) -> (the day whose earlier days were last closed, when): issuing looks for
# unserved tickets of earlier days once a minute per hall and process, not on every ticket
# (a ticket of an earlier day can only come from a clock behind this one's, around midnight).
_days_closed: weakref.WeakKeyDictionary[Any, dict[int, tuple[str, float]]] = (
    weakref.WeakKeyDictionary())
DAY_END_CHECK_SECONDS = 60.0


def day_end_due(session: Session, hall_id: int, now: dt.datetime) -> bool:
    engine, today, clock = session.get_bind(), local_day(now), time.monotonic()
    halls = _days_closed.setdefault(engine, {})
    last = halls.get(hall_id)
    if last is not None and last[0] == today and clock - last[1] < DAY_END_CHECK_SECONDS:
        return False
    halls[hall_id] = (today, clock)  # if this transaction rolls back, the next minute redoes it
    return True


def _wake_after_commit(session: Session) -> None:
    wake = session.info.pop(WAKE_KEY, None)
    broker = session.info.get("broker")
    if wake and broker is not None:
        broker.wake(wake)


def _forget_after_rollback(session: Session) -> None:
    session.info.pop(WAKE_KEY, None)


def install_hooks(sessions: Any, broker: Any) -> None:
    """Wake broker's subscribers of the halls a session changed, once it commits."""
    event.listen(sessions, "after_commit", _wake_after_commit)
    event.listen(sessions, "after_soft_rollback", lambda s, _t: _forget_after_rollback(s))
    sessions.configure(info={"broker": broker})

