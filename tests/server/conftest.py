"""Server tests run against SQLite and against a real PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from devtools.postgres import temporary_postgres
from server.app import create_app
from server.db import Database, upgrade
from server.settings import ServerSettings


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One PostgreSQL cluster for the whole session."""
    with temporary_postgres() as url:
        yield url


_databases = iter(range(1_000_000))


def new_postgres_database(server_url: str, template: str = "") -> str:
    """Create a database on the test PostgreSQL server, empty or a copy of template; return
    its URL."""
    name = f"test_{next(_databases)}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template}"' if template else ""
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head once per session, copied for each test (the
    migrations themselves are tested from an empty database in the migration tests)."""
    path = tmp_path_factory.mktemp("template") / "server.sqlite3"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    database.engine.dispose()  # the last connection closes: the WAL is checkpointed away
    return path


@pytest.fixture(scope="session")
def migrated_postgres(postgres_server: str) -> str:
    """The name of a PostgreSQL database migrated to head once, the template of each test's."""
    url = new_postgres_database(postgres_server)
    database = Database(url)
    upgrade(database.engine)
    database.engine.dispose()  # a template must have no connections
    return url.rsplit("/", 1)[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each kind for one test, migrated to head."""
    if request.param == "sqlite":
        path = tmp_path / "server.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        return f"sqlite:///{path}"
    return new_postgres_database(request.getfixturevalue("postgres_server"),
                                 template=request.getfixturevalue("migrated_postgres"))


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind (for the migration tests)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server.sqlite3'}"
    return new_postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    """A session on a fresh, migrated database of each kind (no application)."""
    database = Database(database_url)
    upgrade(database.engine)
    with database.sessions() as session:
        yield session
    database.engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> ServerSettings:
    """Development settings on the test database and a temporary storage folder."""
    return ServerSettings(database_url=database_url, storage_dir=tmp_path / "storage")


@pytest.fixture
def server_app(settings: ServerSettings) -> Iterator[FastAPI]:
    """The application, migrated, with its database disposed of after the test."""
    app = create_app(settings)
    yield app
    app.state.broker.close()
    app.state.database.engine.dispose()


@pytest.fixture
def client(server_app: FastAPI) -> Iterator[TestClient]:
    """An in-process HTTP client of the application."""
    with TestClient(server_app) as test_client:
        yield test_client
