"""No typed username and no page token in the logs (issue 12, finding 9).

Before the fix the name field of a failed sign-in (where people type passwords by mistake)
was logged as typed, and uvicorn's access log kept every ``/t/<token>`` phone page and
``/c/<token>`` comment form, which open for whoever holds the token.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import requests
from fastapi import FastAPI
from fastapi.testclient import TestClient

from devtools.server_process import start_server
from server.log_redaction import redact
from server.sign_in import mask_username
from tests.server.test_auth import add_user

TYPED_PASSWORD = "Hunter2-MySecret"  # typed into the name field by mistake
TOKENS = ["tOk3nPhonePageAAAA", "tOk3nStatusBBBB", "tOk3nCommentCCCC", "tOk3nQueryDDDD",
          "tOk3nRatingEEEE"]


def test_paths_lose_their_tokens() -> None:
    assert redact("/t/abcDEF_123") == "/t/***"
    assert redact("/t/abc/status?after=5") == "/t/***/status?after=5"
    assert redact("/c/xyz") == "/c/***"
    assert redact("GET /r/dLd6l4FoxB_yW5DN11pf7g HTTP/1.1") == "GET /r/*** HTTP/1.1"
    assert redact("/dashboard?month=2026-11&token=s3cret&x=1") == (
        "/dashboard?month=2026-11&token=***&x=1")
    assert redact("/fleet/tokens?login_token=abc") == "/fleet/tokens?login_token=***"
    assert redact("/api/v1/health") == "/api/v1/health"
    assert redact("/static/console.css") == "/static/console.css"


def test_masked_usernames_keep_only_a_hint() -> None:
    assert mask_username("li.wei") == "l***(6)"
    assert mask_username(TYPED_PASSWORD) == "H***(16)"
    assert mask_username("") == "***(0)"
    assert mask_username("\x00abc") == "?***(4)"


def test_failed_and_throttled_sign_ins_log_a_masked_name(
        server_app: FastAPI, client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    add_user(server_app, "li.wei", "editor")
    caplog.set_level(logging.DEBUG)
    for _ in range(server_app.state.settings.login_failures_allowed + 1):
        client.post("/api/v1/session", json={"username": TYPED_PASSWORD, "password": "x"})
    client.get("/login")
    client.post("/login", data={"username": TYPED_PASSWORD, "password": "x",
                                "login_token": client.cookies["hallkiosk_login"]})
    messages = [record.getMessage() for record in caplog.records]
    assert any("sign-in failed for H***(16)" in message for message in messages)
    assert any("sign-in refused for H***(16)" in message for message in messages)
    assert not any(TYPED_PASSWORD in message for message in messages)


def test_a_real_server_log_keeps_no_token_and_no_typed_name(database_url: str,
                                                            tmp_path: Path) -> None:
    process, url = start_server(database_url, tmp_path, "server")
    try:
        with requests.Session() as http:
            http.get(f"{url}/t/{TOKENS[0]}", timeout=10)
            http.get(f"{url}/t/{TOKENS[1]}/status", timeout=10)
            http.get(f"{url}/c/{TOKENS[2]}", timeout=10)
            http.get(f"{url}/api/v1/health?token={TOKENS[3]}", timeout=10)
            http.post(f"{url}/t/{TOKENS[4]}/rating", json={}, timeout=10)
            failed = http.post(f"{url}/api/v1/session", timeout=10,
                               json={"username": TYPED_PASSWORD, "password": "guess"})
            assert failed.status_code == 401
    finally:
        process.terminate()
        process.wait(15)
    log = (tmp_path / "server.log").read_text()
    for secret in [*TOKENS, TYPED_PASSWORD]:
        assert secret not in log
    # The lines are still there, with what is safe to keep.
    assert '"GET /t/*** HTTP/1.1" 404' in log or '"GET /t/*** HTTP/1.1" 200' in log
    assert '"GET /t/***/status HTTP/1.1"' in log and '"GET /c/*** HTTP/1.1"' in log
    assert '"GET /api/v1/health?token=*** HTTP/1.1" 200' in log
    assert '"POST /api/v1/session HTTP/1.1" 401' in log
    assert "sign-in failed for H***(16) from 127.0.0.1" in log
