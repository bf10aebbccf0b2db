"""Sessions end for good on sign-out, a new password or a new role (issue 12, finding 6).

Before the fix the cookie held only the user's id: a copy kept from before sign-out or a
password change went on working until it expired, ten hours later.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from hallkiosk_cli import main as hallkiosk
from server import security
from server.fleet.actions import create_hall
from server.settings import ServerSettings
from tests.server.test_auth import PASSWORD, add_user, sign_in
from tests.server.test_event_kinds_migration import _migrate

NEW_PASSWORD = "a much newer passphrase"


def kept_cookie(client: TestClient) -> str:
    """The session cookie as an attacker would copy it."""
    return client.cookies[security.SESSION_COOKIE]


def answer_with(app: FastAPI, cookie: str) -> int:
    """The status of GET /api/v1/session presenting cookie from a browser of its own."""
    with TestClient(app) as other:
        other.cookies.set(security.SESSION_COOKIE, cookie)
        return other.get("/api/v1/session").status_code


@pytest.fixture
def config(settings: ServerSettings, tmp_path: Path) -> str:
    """A server TOML file on the test database, for the admin commands."""
    path = tmp_path / "server.toml"
    path.write_text(f'[server]\ndatabase_url = "{settings.database_url}"\n'
                    f'storage_dir = "{tmp_path / "storage"}"\n', "utf-8")
    return str(path)


def test_sign_out_through_the_api_ends_every_session(server_app: FastAPI,
                                                     client: TestClient) -> None:
    add_user(server_app, "li.wei", "editor")
    csrf = sign_in(client, "li.wei")
    cookie = kept_cookie(client)
    with TestClient(server_app) as laptop:  # the same account signed in elsewhere
        sign_in(laptop, "li.wei")
        elsewhere = kept_cookie(laptop)
    assert answer_with(server_app, cookie) == 200 and answer_with(server_app, elsewhere) == 200
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert answer_with(server_app, cookie) == 401
    assert answer_with(server_app, elsewhere) == 401
    sign_in(client, "li.wei")  # signing in again works, with a new cookie
    assert answer_with(server_app, kept_cookie(client)) == 200


def test_sign_out_page_ends_the_session(server_app: FastAPI, client: TestClient) -> None:
    add_user(server_app, "it1", "it_admin")
    csrf = sign_in(client, "it1")
    cookie = kept_cookie(client)
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert answer_with(server_app, cookie) == 401
    with TestClient(server_app) as other:
        other.cookies.set(security.SESSION_COOKIE, cookie)
        page = other.get("/fleet", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_a_new_password_ends_the_sessions(server_app: FastAPI, client: TestClient,
                                          config: str, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    add_user(server_app, "li.wei", "editor")
    sign_in(client, "li.wei")
    cookie = kept_cookie(client)
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    assert hallkiosk(["admin", "set-password", "li.wei", "--password-stdin",
                      "--config", config]) == 0
    assert "their sessions have ended" in capsys.readouterr().out
    assert answer_with(server_app, cookie) == 401
    client.cookies.clear()
    wrong = client.post("/api/v1/session", json={"username": "li.wei", "password": PASSWORD})
    assert wrong.status_code == 401
    sign_in(client, "li.wei", NEW_PASSWORD)
    # Refused changes change nothing: too short, or nobody of that name.
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert hallkiosk(["admin", "set-password", "li.wei", "--password-stdin",
                      "--config", config]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    assert hallkiosk(["admin", "set-password", "nobody", "--password-stdin",
                      "--config", config]) == 2
    assert "no user 'nobody'" in capsys.readouterr().err
    assert answer_with(server_app, kept_cookie(client)) == 200


def test_a_new_role_ends_the_sessions(server_app: FastAPI, client: TestClient,
                                      config: str) -> None:
    add_user(server_app, "li.wei", "it_admin")
    with server_app.state.database.sessions() as session:
        create_hall(session, "GZ-01", "城关公共法律服务中心", "county")
        session.commit()
    sign_in(client, "li.wei")
    cookie = kept_cookie(client)
    assert client.get("/fleet").status_code == 200
    assert hallkiosk(["admin", "set-role", "li.wei", "--role", "staff", "--hall", "GZ-01",
                      "--config", config]) == 0
    assert answer_with(server_app, cookie) == 401
    assert client.get("/fleet", follow_redirects=False).status_code == 303  # to /login
    sign_in(client, "li.wei")
    assert client.get("/api/v1/session").json()["role"] == "staff"
    assert client.get("/fleet").status_code == 403
    assert hallkiosk(["admin", "set-role", "li.wei", "--role", "staff", "--hall", "NOPE",
                      "--config", config]) == 2
    assert client.get("/api/v1/session").status_code == 200  # a refused change ends nothing


def test_migration_0010_adds_the_version_and_takes_it_away(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    _migrate(engine, "0009")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO user_account (username, password_hash, role, active, created_at, "
            "full_name, staff_no) VALUES ('li.wei', 'x', 'editor', 1, '2026-12-01', '', '')"))
    _migrate(engine, "0010")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT session_version FROM user_account")).scalar() == 0
    _migrate(engine, "0009", down=True)
    with engine.connect() as connection:
        columns = [row[1] for row in connection.execute(text("PRAGMA table_info(user_account)"))]
    assert "session_version" not in columns and "username" in columns
    engine.dispose()
