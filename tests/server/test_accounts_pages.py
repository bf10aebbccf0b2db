"""The account pages' permissions (issue #16 item 15): IT only, CSRF on every change, an IT
admin with a hall limited to that hall; every change audited."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.fleet.actions import create_hall
from server.models import User
from server.security import create_user, verify_password
from tests.server.test_auth import PASSWORD, add_user, sign_in


def _user(app: FastAPI, username: str) -> User:
    with app.state.database.sessions() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        session.expunge(user)
        return user


@pytest.mark.parametrize("role", ["staff", "supervisor", "editor"])
def test_only_it_reaches_the_account_pages(server_app: FastAPI, client: TestClient,
                                           role: str) -> None:
    add_user(server_app, "someone", role)
    csrf = sign_in(client, "someone")
    assert client.get("/accounts").status_code == 403
    refused = client.post("/accounts", data={"csrf_token": csrf, "username": "sneaky",
                                             "role": "it_admin", "password": "x" * 12})
    assert refused.status_code == 403
    with server_app.state.database.sessions() as session:
        assert session.scalar(select(User).where(User.username == "sneaky")) is None
    assert client.get("/account/password").status_code == 200  # everyone's own password


def test_changes_need_the_csrf_token_and_are_audited(server_app: FastAPI, client: TestClient,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    add_user(server_app, "it1", "it_admin")
    add_user(server_app, "target", "staff")
    csrf = sign_in(client, "it1")
    target = _user(server_app, "target")
    forged = client.post(f"/accounts/{target.id}/password", data={"password": "new-pass-123"})
    assert forged.status_code == 403 and "CSRF" in forged.text
    assert verify_password(_user(server_app, "target").password_hash, PASSWORD)
    with caplog.at_level(logging.INFO, logger="hallkiosk.audit"):
        reset = client.post(f"/accounts/{target.id}/password", follow_redirects=False,
                            data={"csrf_token": csrf, "password": "new-pass-123"})
        off = client.post(f"/accounts/{target.id}/active", follow_redirects=False,
                          data={"csrf_token": csrf})
    assert reset.status_code == off.status_code == 303
    changed = _user(server_app, "target")
    assert verify_password(changed.password_hash, "new-pass-123") and not changed.active
    assert changed.session_version == target.session_version + 2  # sessions ended twice
    assert [r.getMessage() for r in caplog.records if r.name == "hallkiosk.audit"] == [
        "password of 'target' reset by 'it1'", "account 'target' deactivated by 'it1'"]
    me = _user(server_app, "it1")
    itself = client.post(f"/accounts/{me.id}/active", data={"csrf_token": csrf})
    assert itself.status_code == 409 and _user(server_app, "it1").active


def test_an_it_admin_with_a_hall_manages_that_hall_only(server_app: FastAPI,
                                                        client: TestClient) -> None:
    with server_app.state.database.sessions() as session:
        create_hall(session, "AC-01", "甲中心")
        create_hall(session, "AC-02", "乙中心")
        create_user(session, "hall.it", PASSWORD, "it_admin", "AC-01")
        create_user(session, "other.staff", PASSWORD, "staff", "AC-02", full_name="乙员工")
        session.commit()
    csrf = sign_in(client, "hall.it")
    page = client.get("/accounts")
    assert page.status_code == 200 and "乙员工" not in page.text and "乙中心" not in page.text
    other = _user(server_app, "other.staff")
    answer = client.post(f"/accounts/{other.id}/password",
                         data={"csrf_token": csrf, "password": "new-pass-123"})
    assert answer.status_code == 404
    created = client.post("/accounts", follow_redirects=False,
                          data={"csrf_token": csrf, "username": "new.staff", "role": "staff",
                                "hall_code": "AC-02", "password": "new-pass-123"})
    assert created.status_code == 303
    with server_app.state.database.sessions() as session:
        hall_codes = {u.username: u.hall_id for u in session.scalars(select(User))}
    assert hall_codes["new.staff"] == hall_codes["hall.it"]  # its own hall, not AC-02
