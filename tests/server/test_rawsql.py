"""server/rawsql.py's RawStatement.record on SQLite and PostgreSQL: the row of a select as
SQLAlchemy's Row gives it (SQLite's datetime and JSON text read into Python values), by
the same names; None without a row."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.models import Hall, Service, Terminal, utcnow
from server.rawsql import RawStatement
from tests.server.queue_setup import make_queue_hall

_SERVICE_AND_HALL = (select(Service.id, Service.code, Service.hours, Service.daily_cap,
                            Hall.name.label("hall_name"), Terminal.last_seen_at)
                     .join(Hall, Hall.id == Service.hall_id)
                     .outerjoin(Terminal, Terminal.hall_id == Hall.id)
                     .where(Service.code == bindparam("code")))


def test_a_record_is_the_row_sqlalchemy_reads(session: Session) -> None:
    q = make_queue_hall(session)
    session.add(Terminal(device_id="d" * 64, public_key="k", status="accepted",
                         hall_id=q.hall.id, last_seen_at=utcnow(), profile="query"))
    session.commit()
    raw = RawStatement(_SERVICE_AND_HALL)
    connection = session.connection()
    record = raw.record(connection, {"code": "mediation"})
    row = connection.execute(_SERVICE_AND_HALL, {"code": "mediation"}).one()
    assert record is not None and tuple(record) == tuple(row)
    assert record._fields == ("id", "code", "hours", "daily_cap", "hall_name", "last_seen_at")
    assert isinstance(record.hours, dict) and record.hours  # JSON, not its text
    assert record.last_seen_at.year == utcnow().year  # a datetime, not its text
    assert record.hall_name == q.hall.name
    assert raw.record(connection, {"code": "no-such-service"}) is None
