"""Migration 0009 renames the stored queue event kinds to the past tense, and back."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from protocol.enums import RENAMED_KINDS, QueueEventKind

MIGRATIONS = Path(__file__).parents[2] / "server" / "migrations"
OLD = ["issued", "called", "start", "hold", "finish", "window", "notices"]


def _migrate(engine: Engine, target: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, target)


def _kinds(engine: Engine, table: str) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text(f"SELECT kind FROM {table} ORDER BY id")).scalars())


def test_stored_kinds_are_renamed_and_restored(tmp_path: Path) -> None:
    # A plain engine: SQLite then leaves foreign keys unchecked, so the feed needs no hall.
    engine = create_engine(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    _migrate(engine, "0007")
    with engine.begin() as connection:
        for kind in OLD:
            connection.execute(text("INSERT INTO queue_event (hall_id, kind, payload, created_at)"
                                    " VALUES (1, :kind, '{}', '2026-12-01 09:00:00')"),
                               {"kind": kind})
    _migrate(engine, "head")
    renamed = _kinds(engine, "queue_event")
    assert renamed == [RENAMED_KINDS.get(kind, kind) for kind in OLD]
    assert all(kind in set(QueueEventKind) for kind in renamed)
    _migrate(engine, "0007", down=True)
    assert _kinds(engine, "queue_event") == OLD
    engine.dispose()
