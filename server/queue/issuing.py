"""Issuing a ticket: the service's next number of the day, the ticket, its event and the
hall's feed row, written in the caller's transaction (see server/queue/core.py for write
transactions and the feed).

The busiest path of the server (POST /api/v1/queue/tickets): its statements are built once
and run on the DBAPI cursor (server/rawsql.py); on PostgreSQL the whole ticket is one
statement. A refusal takes no number and writes nothing of the ticket.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from protocol.enums import QueueEventKind
from server.models import Hall, utcnow
from server.queue.core import (
    NOTIFY_CHANNEL,
    WAKE_KEY,
    Issued,
    ServiceRow,
    announce,
    begin_write,
    close_past_days,
    day_end_due,
    find_service_row,
)
from server.queue.errors import QueueError
from server.queue.hours import is_open, local_day
from server.queue.models import (
    PRIORITY_RANK,
    WAITING,
    QueueCounter,
    QueueEvent,
    Ticket,
    TicketEvent,
)
from server.rawsql import RawStatement


def _counter_upsert(builder: Any) -> Any:
    """The service's next number of the day; no row once the daily cap is reached (the
    counter left as it was: a refusal writes nothing, so a batch of tickets goes on)."""
    return (builder(QueueCounter)
            .values(service_id=bindparam("service"), day=bindparam("day"), last_seq=1)
            .on_conflict_do_update(index_elements=[QueueCounter.service_id, QueueCounter.day],
                                   set_={"last_seq": QueueCounter.last_seq + 1},
                                   where=QueueCounter.last_seq < bindparam("cap"))
            .returning(QueueCounter.last_seq))


# Statements of the issue path, built once (SQLAlchemy then reuses their compiled form) and
# run on the session's connection: plain rows, no ORM objects or unit of work per ticket.
_NEXT_SEQ = {"postgresql": _counter_upsert(postgresql.insert),
             "sqlite": _counter_upsert(sqlite.insert)}
_KEYED = (Ticket.terminal_id == bindparam("terminal"),
          Ticket.idempotency_key == bindparam("key"))
_KEYED_TICKET = select(Ticket).where(*_KEYED)
_KEYED_TICKET_ID = select(Ticket.id).where(*_KEYED)
_TICKET_COLUMNS = ("hall_id", "origin_service_id", "service_id", "day", "seq", "number", "state",
                   "priority", "rank", "token", "idempotency_key", "appointment_code",
                   "terminal_id", "arrival_at", "issued_at", "call_count", "close_reason",
                   "visitor")
_FEED_COLUMNS = ("hall_id", "kind", "payload", "created_at")
# The issue path's writes, run on the DBAPI cursor (server/rawsql.py): the ticket's id
# from RETURNING on both databases.
_RAW_NEXT_SEQ = {name: RawStatement(statement) for name, statement in _NEXT_SEQ.items()}
_RAW_INSERT_TICKET = RawStatement(insert(Ticket).returning(Ticket.id), _TICKET_COLUMNS)
_RAW_INSERT_TICKET_EVENT = RawStatement(
    insert(TicketEvent), ("ticket_id", "kind", "at", "actor", "window_id", "detail"))
_RAW_INSERT_FEED = RawStatement(insert(QueueEvent), _FEED_COLUMNS)
_WAITING_SQL = ", ".join(f"'{state}'" for state in WAITING)
# On PostgreSQL the whole ticket in one statement (data-modifying CTEs; SQLite has none):
# the number from the counter row (none once the daily cap is reached: then nothing is
# written), the ticket, its event, the hall's feed row and the NOTIFY, one round trip
# instead of three. The arrival is the time the number was taken unless given. The same
# rows as the SQLite statements below write (tests/server/test_ticket_path.py, both). It
# also reads what the reply shows (issued_view), as server/queue/views.py's statements
# would after it: the people ahead (the new ticket not yet visible to its own statement)
# and the service's windows, in number order.
_PG_ISSUE = RawStatement(text(f"""
WITH counter AS (
  INSERT INTO queue_counter (service_id, day, last_seq) VALUES (:service, :day, 1)
  ON CONFLICT (service_id, day) DO UPDATE SET last_seq = queue_counter.last_seq + 1
  WHERE queue_counter.last_seq < :cap
  RETURNING last_seq
), issued AS (
  INSERT INTO ticket (hall_id, origin_service_id, service_id, day, seq, number, state,
                      priority, rank, token, idempotency_key, appointment_code, terminal_id,
                      arrival_at, issued_at, call_count, close_reason, visitor)
  SELECT :hall, :service, :service, :day, last_seq,
         CAST(:prefix AS text) || lpad(last_seq::text, greatest(3, length(last_seq::text)), '0'),
         'waiting', :priority, :rank, :token, :key, :appointment, :terminal,
         t.at, t.at, 0, '', CAST('{{}}' AS json)
  FROM counter CROSS JOIN LATERAL (  -- the clock read once the counter row is locked
    SELECT coalesce(CAST(:at AS timestamptz), clock_timestamp()) AS at
    WHERE counter.last_seq IS NOT NULL) AS t
  RETURNING id, seq, number, issued_at
), event AS (
  INSERT INTO ticket_event (ticket_id, kind, at, actor, window_id, detail)
  SELECT id, :kind, issued_at, :actor, NULL,
         json_build_object('service', CAST(:code AS text), 'number', number,
                           'priority', CAST(:priority AS text))
  FROM issued
), feed AS (
  INSERT INTO queue_event (hall_id, kind, payload, created_at)
  SELECT :hall, :kind,
         json_build_object('actor', CAST(:actor AS text), 'service', CAST(:code AS text),
                           'number', number, 'priority', CAST(:priority AS text),
                           'ticket', id),
         issued_at
  FROM issued
)
SELECT id, seq, number, issued_at, pg_notify(:channel, :hall_key),
       (SELECT count(*) FROM ticket AS a
        WHERE a.day = :day AND a.service_id = :service AND a.state IN ({_WAITING_SQL})
          AND (a.rank < :rank OR (a.rank = :rank AND a.arrival_at < issued.issued_at)
               OR (a.rank = :rank AND a.arrival_at = issued.issued_at AND a.id < issued.id))),
       (SELECT coalesce(json_agg(json_build_array(w.number, w.state) ORDER BY w.number),
                        CAST('[]' AS json))
        FROM "window" AS w JOIN window_service AS ws ON ws.window_id = w.id
        WHERE ws.service_id = :service)
FROM issued
"""))


def keyed_ticket(session: Session, terminal_id: int | None, idempotency_key: str
                 ) -> Ticket | None:
    """The ticket terminal_id took with idempotency_key, if any (never another's)."""
    if terminal_id is None:  # IS NULL, not a bound = NULL
        return session.scalars(select(Ticket).where(
            Ticket.terminal_id.is_(None), Ticket.idempotency_key == idempotency_key)).first()
    return session.scalars(_KEYED_TICKET, {"terminal": terminal_id,
                                           "key": idempotency_key}).first()


def keyed_ticket_id(connection: Connection, terminal_id: int, idempotency_key: str
                    ) -> int | None:
    """keyed_ticket's id only, on a connection (the issue path: no ORM loading)."""
    found = connection.execute(_KEYED_TICKET_ID, {"terminal": terminal_id,
                                                  "key": idempotency_key}).scalar()
    return None if found is None else int(found)


def issue_ticket(session: Session, hall: Hall, service_code: str, *, actor: str,
                 now: dt.datetime | None = None, priority: str = "normal",
                 appointment_code: str | None = None, idempotency_key: str | None = None,
                 terminal_id: int | None = None, booking_checked: bool = False
                 ) -> tuple[Ticket, bool]:
    """A new ticket (and True), or the one terminal_id already took with idempotency_key
    (and False): a key is its terminal's own, so another terminal's key finds nothing.
    An appointment ticket is only issued by a check-in that verified its booking
    (server/appointments/service.py check_in, which passes booking_checked)."""
    if idempotency_key:
        existing = keyed_ticket(session, terminal_id, idempotency_key)
        if existing is not None:
            return existing, False
    session.flush()  # the caller's pending changes before the statements below
    service = find_service_row(session.connection(), hall.id, service_code)
    issued = issue_new(session, hall.id, service, actor=actor, now=now, priority=priority,
                       appointment_code=appointment_code, idempotency_key=idempotency_key,
                       terminal_id=terminal_id, booking_checked=booking_checked)
    ticket = session.get(Ticket, issued.id)
    assert ticket is not None  # inserted in this transaction
    return ticket, True


def issue_new(session: Session, hall_id: int, service: ServiceRow, *, actor: str,
              now: dt.datetime | None = None, priority: str = "normal",
              appointment_code: str | None = None, idempotency_key: str | None = None,
              terminal_id: int | None = None, booking_checked: bool = False) -> Issued:
    """Issue a new ticket of service (not committed; the caller looked for idempotency_key
    and the service first): the service's next number of the day from its counter row, the
    ticket, its event and the hall's feed row, a few statements on the session's connection.
    A ticket with the same key committed meanwhile fails the insert (IntegrityError). A
    refusal (QueueError: closed, daily cap) takes no number and writes nothing of the
    ticket, so the transaction can go on (the ticket writer's batches rely on it); only a
    past day's close, which stands on its own, may have been written before it.

    Without a given time, the arrival is read once the number is taken: the counter row is
    locked from then to the commit, so a later number never arrives before an earlier one
    (two processes issuing at once would otherwise have A002 called before A001)."""
    clock_given = now is not None
    now = now or utcnow()
    if priority not in PRIORITY_RANK:
        raise QueueError("bad_priority")
    if priority == "appointment" and not (booking_checked and appointment_code):
        raise QueueError("bad_appointment")
    begin_write(session)
    if day_end_due(session, hall_id, now) and close_past_days(session, hall_id, now):
        session.flush()  # the day's close comes first in the feed
    connection = session.connection()
    if not is_open(service.hours, now):
        raise QueueError("service_closed", service.code)
    day = local_day(now)
    if service.daily_cap < 1:
        raise QueueError("daily_cap", f"{service.code}: {service.daily_cap}")
    rank, token = PRIORITY_RANK[priority], secrets.token_urlsafe(16)
    if connection.dialect.name == "postgresql":
        return _issue_pg(session, connection, hall_id, service, day=day, priority=priority,
                         rank=rank, token=token, actor=actor,
                         at=now if clock_given else None,
                         appointment_code=appointment_code if priority == "appointment" else None,
                         idempotency_key=idempotency_key or None, terminal_id=terminal_id)
    seq = _RAW_NEXT_SEQ[connection.dialect.name].scalar(
        connection, {"service": service.id, "day": day, "cap": service.daily_cap})
    if seq is None:  # the cap reached: nothing written
        raise QueueError("daily_cap", f"{service.code}: {service.daily_cap}")
    if not clock_given:
        now = max(now, utcnow())
    number = f"{service.prefix}{seq:03d}"
    ticket_id = int(_RAW_INSERT_TICKET.scalar(connection, {
        "hall_id": hall_id, "origin_service_id": service.id, "service_id": service.id,
        "day": day, "seq": seq, "number": number, "state": "waiting", "priority": priority,
        "rank": rank, "token": token, "idempotency_key": idempotency_key or None,
        "appointment_code": appointment_code if priority == "appointment" else None,
        "terminal_id": terminal_id, "arrival_at": now, "issued_at": now, "call_count": 0,
        "close_reason": "", "visitor": {}}))
    detail = {"service": service.code, "number": number, "priority": priority}
    _RAW_INSERT_TICKET_EVENT.run(connection, {
        "ticket_id": ticket_id, "kind": QueueEventKind.ISSUED, "at": now, "actor": actor,
        "window_id": None, "detail": detail})
    _RAW_INSERT_FEED.run(connection, {"hall_id": hall_id, "kind": QueueEventKind.ISSUED,
                                      "created_at": now,
                                      "payload": {"actor": actor, **detail, "ticket": ticket_id}})
    announce(session, connection, hall_id)
    return Issued(id=ticket_id, hall_id=hall_id, service_id=service.id, service=service.code,
                  service_name=service.name, service_name_en=service.name_en, number=number,
                  day=day, priority=priority, rank=rank, token=token, at=now)


def _issue_pg(session: Session, connection: Connection, hall_id: int, service: ServiceRow, *,
              day: str, priority: str, rank: int, token: str, actor: str,
              at: dt.datetime | None, appointment_code: str | None,
              idempotency_key: str | None, terminal_id: int | None) -> Issued:
    """issue_new's writes on PostgreSQL: one statement (_PG_ISSUE)."""
    rows = _PG_ISSUE.rows(connection, {
        "service": service.id, "day": day, "cap": service.daily_cap, "hall": hall_id,
        "prefix": service.prefix, "priority": priority, "rank": rank, "token": token,
        "key": idempotency_key, "appointment": appointment_code, "terminal": terminal_id,
        "at": at, "kind": str(QueueEventKind.ISSUED), "actor": actor, "code": service.code,
        "channel": NOTIFY_CHANNEL, "hall_key": str(hall_id)})
    if not rows:  # the cap reached: nothing written
        raise QueueError("daily_cap", f"{service.code}: {service.daily_cap}")
    ticket_id, _seq, number, issued_at, _notified, ahead, windows = rows[0]
    session.info.setdefault(WAKE_KEY, set()).add(hall_id)
    return Issued(id=ticket_id, hall_id=hall_id, service_id=service.id, service=service.code,
                  service_name=service.name, service_name_en=service.name_en, number=number,
                  day=day, priority=priority, rank=rank, token=token, at=issued_at,
                  ahead=int(ahead), windows=[(int(n), str(state)) for n, state in windows])
