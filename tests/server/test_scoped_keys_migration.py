"""Migration 0011 on a database with data: idempotency keys become unique per sender, every
row and every reference survives (on SQLite the rebuilt tables must not fire ON DELETE
actions), and the downgrade restores the global keys. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from server.db import make_engine, upgrade

MIGRATIONS = Path(__file__).parents[2] / "server" / "migrations"
AT = "'2026-12-01 09:00:00'"
ROWS = [
    "INSERT INTO hall (id, code, name, level, overlay) VALUES (1, 'QX-01', '青溪', 'city', '{}')",
    "INSERT INTO service (id, hall_id, code, name, prefix, name_en, daily_cap, hours,"
    " target_wait, active) VALUES (1, 1, 'legal-aid', '法律援助', 'A', 'Legal aid', 100, '{}',"
    " 15, true)",
    *(f"INSERT INTO terminal (id, device_id, public_key, status, identity, profile, name,"
      f" requested_at, health) VALUES ({n}, 'device-{n}', 'k', 'accepted', '{{}}', 'query', '',"
      f" {AT}, '{{}}')" for n in (1, 2)),
    f"INSERT INTO ticket (id, hall_id, origin_service_id, service_id, day, seq, number, state,"
    f" priority, rank, token, arrival_at, issued_at, call_count, close_reason, visitor,"
    f" idempotency_key, terminal_id) VALUES (1, 1, 1, 1, '2026-12-01', 1, 'A001', 'finished',"
    f" 'normal', 2, 'token-1', {AT}, {AT}, 1, '', '{{}}', 'key-0001', 1)",
    f"INSERT INTO ticket_event (ticket_id, kind, at, actor, detail)"
    f" VALUES (1, 'issued', {AT}, 'terminal', '{{}}')",
    f"INSERT INTO rating (id, hall_id, ticket_id, level, reasons, comment, source, created_at,"
    f" received_at, idempotency_key, terminal_id) VALUES (1, 1, 1, 1, '[]', '', 'pad', {AT},"
    f" {AT}, 'key-0001', 1)",
    f"INSERT INTO complaint (id, hall_id, category, kind, phone, content, source, created_at,"
    f" received_at, idempotency_key) VALUES (1, 1, 'waiting', 'complaint', '13812345678',"
    f" '等太久', 'online', {AT}, {AT}, 'key-0001')",
    *(f"INSERT INTO follow_up (hall_id, kind, {column}, state, due_on, visit_note, resolution,"
      f" appeal_reason, appeal_decision, created_at) VALUES (1, '{kind}', 1, 'open',"
      f" '2026-12-08', '', '', '', '', {AT})"
      for kind, column in (("rating", "rating_id"), ("complaint", "complaint_id"))),
]
COUNTS = {"SELECT count(*) FROM ticket_event": 1, "SELECT count(*) FROM follow_up": 2,
          "SELECT ticket_id FROM rating": 1, "SELECT count(*) FROM complaint": 1}


def _migrate(engine: Engine, target: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, target)


def _kept(connection: Connection) -> None:
    for query, expected in COUNTS.items():
        assert connection.execute(text(query)).scalar_one() == expected, query


def _refused_as_duplicate_key(engine: Engine, statement: str) -> None:
    with pytest.raises(IntegrityError) as refused, engine.begin() as connection:
        connection.execute(text(statement))
    assert re.search(r"idempotency_key|_key\b", str(refused.value)), refused.value


def _another(row: str, **changes: str) -> str:
    for old, new in changes.items():
        assert old in row
        row = row.replace(old, new)
    return row


TICKET_OF_TERMINAL_2 = _another(ROWS[4], **{"(1, 1, 1, 1, '2026-12-01', 1,":
                                            "(2, 1, 1, 1, '2026-12-01', 2,",
                                            "'token-1'": "'token-2'",
                                            "'key-0001', 1)": "'key-0001', 2)"})
RATING_OF_TERMINAL_2 = _another(ROWS[6], **{"(1, 1, 1, 1,": "(2, 1, NULL, 1,",
                                            "'key-0001', 1)": "'key-0001', 2)"})


def test_existing_rows_survive_and_keys_become_per_sender(empty_database_url: str) -> None:
    # The server's own engine: on SQLite it enforces foreign keys, as in production.
    engine = make_engine(empty_database_url)
    _migrate(engine, "0009")
    with engine.begin() as connection:
        for row in ROWS:
            connection.execute(text(row))
    upgrade(engine)
    with engine.connect() as connection:
        _kept(connection)
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    # The same key from another terminal is its own ticket and rating now; twice, refused.
    with engine.begin() as connection:
        connection.execute(text(TICKET_OF_TERMINAL_2))
        connection.execute(text(RATING_OF_TERMINAL_2))
    _refused_as_duplicate_key(engine, _another(TICKET_OF_TERMINAL_2, **{
        "(2, 1, 1, 1, '2026-12-01', 2,": "(3, 1, 1, 1, '2026-12-01', 3,",
        "'token-2'": "'token-3'"}))
    _refused_as_duplicate_key(engine, _another(RATING_OF_TERMINAL_2, **{"(2, 1,": "(3, 1,"}))
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM rating WHERE id = 2"))
        connection.execute(text("DELETE FROM ticket WHERE id = 2"))
    engine.dispose()
    # Down again (a plain engine, as Alembic's command line would use) and the keys are global.
    plain = create_engine(empty_database_url)
    _migrate(plain, "0009", down=True)
    with plain.connect() as connection:
        _kept(connection)
    # Complaint 1's key again, from another source: refused by the global key once more.
    _refused_as_duplicate_key(plain, _another(ROWS[7], **{"VALUES (1, 1,": "VALUES (2, 1,",
                                                         "'online'": "'terminal'"}))
    plain.dispose()
