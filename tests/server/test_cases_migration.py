"""Migrations 0015 (cases) and 0016 (case export) go up, down and up again on SQLite and
PostgreSQL."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from tests.server.test_event_kinds_migration import _migrate

TABLES = {"case_item", "case_event", "case_export_item"}


def test_case_tables_up_down_up(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        _migrate(engine, "head")
        assert TABLES <= set(inspect(engine).get_table_names())
        columns = {c["name"] for c in inspect(engine).get_columns("case_item")}
        assert {"code", "token", "state", "due_on", "supervisors_only",
                "complaint_id"} <= columns
        _migrate(engine, "0014", down=True)
        assert not TABLES & set(inspect(engine).get_table_names())
        _migrate(engine, "head")
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
