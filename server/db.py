"""Database engine and sessions: SQLite in WAL mode or PostgreSQL, migrated with Alembic."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from content.migrate import upgrade_to_head

WAL_ATTEMPTS = 100  # 5 s in all: converting a new file to WAL waits for no busy handler


def _use_wal(cursor: Any) -> None:
    """Put the file in WAL mode (kept in the file, so only a new file is converted). Two
    first connections converting a new file at once get "database is locked" at once,
    whatever the busy timeout: the loser tries again until the winner is done."""
    for attempt in range(WAL_ATTEMPTS):
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.05)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    _use_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for url; SQLite files get their folder and WAL mode."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(engine: Engine) -> None:
    """Run the server's Alembic migrations up to head."""
    upgrade_to_head(engine, MIGRATIONS)


class Database:
    """The engine and a session factory; one session per request or unit of work."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Iterator[Session]:
        """A session for one request (FastAPI dependency)."""
        with self.sessions() as session:
            yield session
