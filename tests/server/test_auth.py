"""Accounts, sessions, CSRF and role checks, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hallkiosk_cli import main as hallkiosk
from server import security
from server import sign_in as sign_ins
from server.db import Database, upgrade
from server.fleet.actions import create_hall
from server.models import Hall, LoginFailure, User
from server.security import create_user, hash_password, require_role, verify_password
from server.settings import ServerSettings

PASSWORD = "correct horse battery"


def add_user(app: FastAPI, username: str, role: str, password: str = PASSWORD,
             active: bool = True) -> None:
    """Create a user directly in the application's database."""
    with app.state.database.sessions() as session:
        user = create_user(session, username, password, role)
        user.active = active
        session.commit()


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the API; return the session's CSRF token."""
    response = client.post("/api/v1/session", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    return token


def test_passwords_are_hashed_with_argon2() -> None:
    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert first.startswith("$argon2id$") and first != second  # salted
    assert verify_password(first, "s3cret-pass")
    assert not verify_password(first, "s3cret-pasS")
    assert not verify_password("not a hash", "s3cret-pass")


def test_sign_in_sets_a_protected_cookie_and_returns_the_csrf_token(
        server_app: FastAPI, client: TestClient) -> None:
    add_user(server_app, "li.wei", "editor")
    response = client.post("/api/v1/session", json={"username": "li.wei", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "li.wei" and body["role"] == "editor" and body["csrf_token"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(security.SESSION_COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    again = client.get("/api/v1/session").json()
    assert again == body


def test_cookie_is_secure_when_configured(server_app: FastAPI, client: TestClient) -> None:
    add_user(server_app, "li.wei", "editor")
    server_app.state.settings = server_app.state.settings.model_copy(
        update={"secure_cookies": True})
    response = client.post("/api/v1/session", json={"username": "li.wei", "password": PASSWORD})
    assert "Secure" in response.headers["set-cookie"]


def test_wrong_credentials_get_one_generic_answer_and_are_logged(
        server_app: FastAPI, client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    add_user(server_app, "li.wei", "editor")
    add_user(server_app, "gone", "editor", active=False)
    caplog.set_level(logging.WARNING, logger="server.sign_in")
    answers = [client.post("/api/v1/session", json={"username": name, "password": password})
               for name, password in [("li.wei", "wrong password"), ("nobody", PASSWORD),
                                      ("gone", PASSWORD)]]
    assert [answer.status_code for answer in answers] == [401, 401, 401]
    assert len({answer.text for answer in answers}) == 1
    assert "set-cookie" not in answers[0].headers
    assert "sign-in failed for l***(6)" in caplog.text
    assert "wrong password" not in caplog.text


def test_sign_in_takes_only_json_and_odd_names_are_just_wrong(server_app: FastAPI,
                                                             client: TestClient) -> None:
    add_user(server_app, "li.wei", "editor")
    # A cross-site form cannot post JSON, so it cannot sign a visitor in to another account.
    as_form = client.post("/api/v1/session", content=f'{{"username": "li.wei", '
                          f'"password": "{PASSWORD}"}}', headers={"Content-Type": "text/plain"})
    assert as_form.status_code == 422
    odd = client.post("/api/v1/session", json={"username": "li\x00wei", "password": PASSWORD})
    assert odd.status_code == 401


def test_repeated_failures_are_throttled_per_username(server_app: FastAPI,
                                                      client: TestClient) -> None:
    add_user(server_app, "li.wei", "editor")
    add_user(server_app, "wang.fang", "editor")
    for _ in range(server_app.state.settings.login_failures_allowed):
        assert client.post("/api/v1/session", json={"username": "li.wei",
                                                    "password": "guess"}).status_code == 401
    refused = client.post("/api/v1/session", json={"username": "li.wei", "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert client.post("/api/v1/session", json={"username": "wang.fang",
                                                "password": PASSWORD}).status_code == 200


def test_an_address_guessing_many_names_is_throttled(server_app: FastAPI, client: TestClient,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    add_user(server_app, "li.wei", "editor")
    server_app.state.settings = server_app.state.settings.model_copy(
        update={"login_failures_per_address": 3})
    for name in ["zhang.san", "li.si", "wang.wu"]:  # one failure each: no name is locked
        assert client.post("/api/v1/session", json={"username": name,
                                                    "password": "guess"}).status_code == 401
    caplog.set_level(logging.WARNING, logger="server.sign_in")
    refused = client.post("/api/v1/session", json={"username": "li.wei", "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "sign-in refused for l***(6) from testclient: throttled" in caplog.text
    client.get("/login")
    form = client.post("/login", data={"username": "li.wei", "password": PASSWORD,
                                       "login_token": client.cookies["hallkiosk_login"]})
    assert form.status_code == 429
    assert re.search(r"登录失败次数过多，请 \d+ 秒后再试。", form.text)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated database of each kind, without an application."""
    database = Database(database_url)
    upgrade(database.engine)
    yield database
    database.engine.dispose()


def failure_rows(database: Database) -> int:
    """How many failed sign-ins the database holds."""
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(LoginFailure)) or 0


def test_throttle_forgets_failures_after_the_window(database: Database) -> None:
    throttle = sign_ins.LoginThrottle(database.sessions, limit=2, window=1.0, address_limit=99)
    throttle.failed("Li.Wei", "10.0.0.7")
    assert throttle.retry_after("li.wei") == 0
    throttle.failed("li.wei", "10.0.0.8")
    assert throttle.retry_after("LI.WEI") >= 1
    assert throttle.retry_after("li.wei", "10.0.0.9") >= 1  # the name, from any address
    assert throttle.retry_after("wang.fang") == 0
    time.sleep(1.1)
    assert throttle.retry_after("li.wei") == 0


def test_throttle_counts_an_address_over_all_names(database: Database) -> None:
    throttle = sign_ins.LoginThrottle(database.sessions, limit=99, window=60, address_limit=3)
    for name in ["a", "b", "c"]:
        throttle.failed(name, "10.0.0.7")
    assert 59 <= throttle.retry_after("d", "10.0.0.7") <= 61
    assert throttle.retry_after("d", "10.0.0.8") == 0 and throttle.retry_after("d") == 0
    throttle.succeeded("d")  # a good sign-in elsewhere does not reset the address
    assert throttle.retry_after("d", "10.0.0.7") >= 1


def test_a_good_sign_in_clears_the_failures_of_its_name(database: Database) -> None:
    throttle = sign_ins.LoginThrottle(database.sessions, limit=2, window=60, address_limit=99)
    for name in ["li.wei", "LI.WEI", "wang.fang", "wang.fang"]:
        throttle.failed(name, "10.0.0.7")
    assert throttle.retry_after("li.wei") >= 1 and throttle.retry_after("wang.fang") >= 1
    throttle.succeeded("Li.Wei")
    assert throttle.retry_after("li.wei") == 0 and throttle.retry_after("wang.fang") >= 1
    assert failure_rows(database) == 2


def test_throttle_prunes_old_failures(database: Database) -> None:
    throttle = sign_ins.LoginThrottle(database.sessions, limit=1, window=0.5, address_limit=99,
                                      prune_every=0)
    for name in ["a", "b", "c"]:
        throttle.failed(name, "10.0.0.7")
    assert failure_rows(database) == 3
    time.sleep(0.6)
    throttle.failed("d", "10.0.0.7")
    assert failure_rows(database) == 1 and throttle.retry_after("d") >= 1
    throttle.prune_every = 3600  # pruned already: the next failures wait for the interval
    time.sleep(0.6)
    throttle.failed("e")
    assert failure_rows(database) == 2


def test_failures_recorded_at_once_by_two_processes_are_all_counted(database_url: str,
                                                                    database: Database) -> None:
    # Two engines stand for two server processes; each records failures from four threads.
    processes = [Database(database_url) for _ in range(2)]
    throttles = [sign_ins.LoginThrottle(process.sessions, limit=1, window=60, address_limit=99)
                 for process in processes]
    start = threading.Barrier(8)

    def guess(throttle: sign_ins.LoginThrottle, thread: int) -> None:
        start.wait()
        for attempt in range(5):
            throttle.failed("li.wei", f"10.0.{thread}.{attempt}")

    threads = [threading.Thread(target=guess, args=(throttles[number % 2], number))
               for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for process in processes:
        process.engine.dispose()
    assert failure_rows(database) == 40
    counting = [sign_ins.LoginThrottle(database.sessions, limit=limit, window=60,
                                       address_limit=99) for limit in (40, 41)]
    assert counting[0].retry_after("li.wei") >= 1 and counting[1].retry_after("li.wei") == 0


def test_a_session_is_required(client: TestClient) -> None:
    assert client.get("/api/v1/session").status_code == 401
    page = client.get("/fleet", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/fleet"


def test_forged_and_expired_cookies_are_refused(server_app: FastAPI, client: TestClient,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    add_user(server_app, "li.wei", "editor")
    sign_in(client, "li.wei")
    genuine = client.cookies[security.SESSION_COOKIE]
    client.cookies.clear()
    client.cookies.set(security.SESSION_COOKIE, genuine[:-2] + "xx")
    assert client.get("/api/v1/session").status_code == 401
    client.cookies.clear()
    client.cookies.set(security.SESSION_COOKIE, genuine)
    assert client.get("/api/v1/session").status_code == 200
    monkeypatch.setattr(security, "SESSION_MAX_AGE", -1)
    assert client.get("/api/v1/session").status_code == 401


@pytest.fixture
def editor_route(server_app: FastAPI) -> str:
    """An API route only editors may use (like the content upload)."""

    def publish(user: Annotated[User, Depends(require_role("editor"))]) -> dict[str, str]:
        return {"published_by": user.username}

    server_app.router.add_api_route("/api/v1/test-publish", publish, methods=["POST"])
    return "/api/v1/test-publish"


def test_role_checks_on_an_api_route(server_app: FastAPI, client: TestClient,
                                     editor_route: str) -> None:
    add_user(server_app, "editor1", "editor")
    add_user(server_app, "it1", "it_admin")
    assert client.post(editor_route).status_code == 401
    csrf = sign_in(client, "it1")
    assert client.post(editor_route, headers={"X-CSRF-Token": csrf}).status_code == 403
    csrf = sign_in(client, "editor1")
    answer = client.post(editor_route, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 200 and answer.json() == {"published_by": "editor1"}


def test_role_checks_on_a_page(server_app: FastAPI, client: TestClient) -> None:
    add_user(server_app, "editor1", "editor")
    add_user(server_app, "it1", "it_admin")
    sign_in(client, "editor1")
    refused = client.get("/fleet")
    assert refused.status_code == 403 and "没有权限" in refused.text
    sign_in(client, "it1")
    assert client.get("/fleet").status_code == 200


def test_require_role_knows_the_roles() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        require_role("admin")
    with pytest.raises(ValueError):
        require_role()
    assert callable(require_role("it_admin", "editor"))


def test_unsafe_requests_need_the_csrf_token(server_app: FastAPI, client: TestClient,
                                             editor_route: str) -> None:
    add_user(server_app, "editor1", "editor")
    add_user(server_app, "it1", "it_admin")
    csrf = sign_in(client, "editor1")
    assert client.post(editor_route).status_code == 403
    assert client.post(editor_route, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post(editor_route, headers={"X-CSRF-Token": csrf}).status_code == 200
    with server_app.state.database.sessions() as session:
        create_hall(session, "H1", "城关公共法律服务中心")
        session.commit()
        hall_id = session.scalars(select(Hall.id)).one()
    csrf = sign_in(client, "it1")
    form = {"hall_id": str(hall_id), "profile": "query"}
    refused = client.post("/fleet/tokens", data=form)
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert client.post("/fleet/tokens", data={**form, "csrf_token": csrf}).status_code == 200


def test_sign_out_needs_the_token_and_ends_the_session(server_app: FastAPI,
                                                       client: TestClient) -> None:
    add_user(server_app, "editor1", "editor")
    csrf = sign_in(client, "editor1")
    assert client.delete("/api/v1/session").status_code == 403
    assert client.get("/api/v1/session").status_code == 200
    answer = client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 204
    assert client.get("/api/v1/session").status_code == 401


def test_sign_in_form(server_app: FastAPI, client: TestClient) -> None:
    add_user(server_app, "it1", "it_admin")
    page = client.get("/login?next=/fleet/tokens")
    assert page.status_code == 200 and "登录" in page.text
    login_token = client.cookies["hallkiosk_login"]
    form = {"username": "it1", "password": "wrong", "login_token": login_token,
            "next": "/fleet/tokens"}
    wrong = client.post("/login", data=form)
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    form.update(password=PASSWORD, login_token=client.cookies["hallkiosk_login"])
    assert client.post("/login", data={**form, "login_token": "stale"}).status_code == 400
    form.update(login_token=client.cookies["hallkiosk_login"])
    done = client.post("/login", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/fleet/tokens"
    assert client.get("/fleet/tokens").status_code == 200


def test_sign_in_form_never_redirects_off_site(server_app: FastAPI, client: TestClient) -> None:
    add_user(server_app, "it1", "it_admin")
    client.get("/login")
    form = {"username": "it1", "password": PASSWORD,
            "login_token": client.cookies["hallkiosk_login"], "next": "//evil.example/x"}
    done = client.post("/login", data=form, follow_redirects=False)
    assert done.headers["location"] == "/"


def test_sign_out_page(server_app: FastAPI, client: TestClient) -> None:
    add_user(server_app, "it1", "it_admin")
    csrf = sign_in(client, "it1")
    assert "退出登录" in client.get("/logout").text
    assert client.post("/logout").status_code == 403
    done = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert client.get("/api/v1/session").status_code == 401


def test_admin_commands_create_halls_and_users(settings: ServerSettings, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "server.toml"
    config.write_text(f'[server]\ndatabase_url = "{settings.database_url}"\n'
                      f'storage_dir = "{tmp_path / "storage"}"\n', "utf-8")
    assert hallkiosk(["admin", "create-hall", "GZ-01", "城关公共法律服务中心",
                      "--level", "county", "--config", str(config)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert hallkiosk(["admin", "create-user", "zhang.san", "--role", "it_admin",
                      "--hall", "GZ-01", "--password-stdin", "--config", str(config)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert hallkiosk(["admin", "create-user", "li.si", "--role", "staff",
                      "--password-stdin", "--config", str(config)]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert hallkiosk(["admin", "create-user", "li.si", "--role", "staff", "--hall", "NOPE",
                      "--password-stdin", "--config", str(config)]) == 2
    assert hallkiosk(["admin", "create-hall", "GZ-01", "重复", "--config", str(config)]) == 2
    output = capsys.readouterr()
    assert "user zhang.san created" in output.out and "at least 8" in output.err
    database = Database(settings.database_url)
    with database.sessions() as session:
        user = session.scalars(select(User)).one()
        hall = session.scalars(select(Hall)).one()
        assert (user.username, user.role, user.hall_id) == ("zhang.san", "it_admin", hall.id)
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, PASSWORD)
    database.engine.dispose()
