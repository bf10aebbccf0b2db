"""Server tests run against SQLite and against a real PostgreSQL."""

from __future__ import annotations

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


def new_postgres_database(server_url: str) -> str:
    """Create an empty database on the test PostgreSQL server; return its URL."""
    name = f"test_{next(_databases)}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind for one test."""
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
