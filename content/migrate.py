"""Run a package's Alembic migrations on one connection: the terminal's content store and
the central server migrate their databases the same way."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)


def _check_foreign_keys(connection: Connection) -> None:
    """Log dangling references after a migration (logged, not refused: one already there
    before must not stop the server from starting)."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        log.warning("%d broken reference(s) after migrating: %s", len(broken), broken[:5])


_heads_lock = threading.Lock()


def _heads(script_location: Path) -> frozenset[str]:
    with _heads_lock:  # Alembic loads the migration files as modules: one thread at a time
        return _read_heads(script_location)


@functools.cache
def _read_heads(script_location: Path) -> frozenset[str]:
    from alembic.script import ScriptDirectory  # reads every migration file: once a process

    return frozenset(ScriptDirectory(str(script_location)).get_heads())


def _current(engine: Engine) -> frozenset[str]:
    """The revisions the database is at (none for a new database)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return frozenset()
        return frozenset(connection.exec_driver_sql(
            "SELECT version_num FROM alembic_version").scalars())


@contextlib.contextmanager
def _migration_lock(engine: Engine, script_location: Path) -> Iterator[None]:
    """Held by one process at a time per database: a PostgreSQL advisory lock, or an
    exclusive lock on a file beside the SQLite file. Server processes started together
    (behind nginx) then migrate one after the other instead of all at once."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        key = zlib.crc32(f"hallkiosk-migrate:{script_location.name}".encode())
        with engine.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({key})")
            connection.commit()
            try:
                yield
            finally:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
                connection.commit()
    elif url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        with open(f"{url.database}.migrate-lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    else:
        yield


def upgrade_to_head(engine: Engine, script_location: Path) -> None:
    """Migrate the database behind engine to the newest revision in script_location (a
    database already there is only looked at: no migration environment is run). Another
    process migrating the same database is waited for, then its work is found done."""
    heads = _heads(script_location)
    if _current(engine) == heads:
        return
    with _migration_lock(engine, script_location):
        if _current(engine) == heads:
            log.info("the database was migrated by another process meanwhile")
            return
        migrate(engine, script_location)


def migrate(engine: Engine, script_location: Path, revision: str = "head", *,
            down: bool = False) -> None:
    """Migrate the database behind engine up (or down) to revision.

    On SQLite the migration runs with foreign keys off, as Alembic's batch mode needs: it
    rebuilds a changed table by copying it and dropping the old one, and with foreign keys
    on, that drop would fire the other tables' ON DELETE actions (cascading deletes, SET
    NULL) on every row, or refuse. Broken references are looked for afterwards and logged."""
    from alembic import command  # imported here: Alembic costs time at every start
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:  # see below; the pragma is ignored inside a transaction, so it goes first
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                if down:
                    command.downgrade(config, revision)
                else:
                    command.upgrade(config, revision)
                if sqlite:
                    _check_foreign_keys(connection)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
