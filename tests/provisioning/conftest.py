"""Terminal-side tests talk to a real server on loopback (SQLite; tests/server covers both)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from server.app import create_app
from server.settings import ServerSettings
from tests.provisioning.live_server import live_server


@pytest.fixture
def server_app(tmp_path: Path) -> Iterator[FastAPI]:
    """A migrated server application on a fresh SQLite database."""
    settings = ServerSettings(database_url=f"sqlite:///{tmp_path / 'server.sqlite3'}",
                              storage_dir=tmp_path / "storage")
    app = create_app(settings)
    yield app
    app.state.database.engine.dispose()


@pytest.fixture
def server_url(server_app: FastAPI) -> Iterator[str]:
    """The URL of the server running on loopback."""
    with live_server(server_app) as url:
        yield url


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A terminal's data folder."""
    return tmp_path / "terminal"
