"""Browser security headers on every response (server/headers.py) and the API docs kept
from anonymous visitors in production mode (server/pages/api_docs.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from server.app import create_app
from server.settings import ServerSettings
from tests.server.test_auth import add_user, sign_in

DOCS = ("/docs", "/redoc", "/openapi.json")


def assert_protected(response: Response, referrer: str = "strict-origin-when-cross-origin"
                     ) -> None:
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == referrer


def test_every_kind_of_response_carries_the_headers(client: TestClient) -> None:
    for path in ("/login", "/api/v1/health", "/static/console.css", "/no-such-page",
                 "/fleet"):
        response = client.get(path, follow_redirects=False)
        assert_protected(response)
    page = client.get("/login")
    assert "script-src 'self';" in page.headers["content-security-policy"]  # no inline
    too_large = client.post("/api/v1/session", content=b"x" * 70_000)
    assert too_large.status_code == 413
    assert_protected(too_large)
    refused = client.post("/api/v1/session", json={"username": "nobody", "password": "x"})
    assert_protected(refused)
    for token_page in ("/t/not-a-token", "/c/not-a-token"):  # the token never leaks
        assert_protected(client.get(token_page), referrer="no-referrer")


@pytest.fixture
def production(tmp_path: Path) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=f"sqlite:///{tmp_path / 'server.sqlite3'}",
                              storage_dir=tmp_path / "storage", mode="production",
                              secret_key="s" * 40, secure_cookies=True)
    app = create_app(settings)
    add_user(app, "it", "it_admin")
    add_user(app, "editor", "editor")
    try:
        with TestClient(app, base_url="https://testserver") as client:
            yield client
    finally:
        app.state.broker.close()
        app.state.database.engine.dispose()


def test_api_docs_in_production_only_for_a_signed_in_it_admin(production: TestClient) -> None:
    for path in DOCS:
        anonymous = production.get(path, follow_redirects=False)
        assert anonymous.status_code in (303, 401), path
        assert_protected(anonymous)
    assert production.get("/docs", follow_redirects=False).headers["location"].startswith(
        "/login")
    sign_in(production, "editor")
    assert all(production.get(path).status_code == 403 for path in DOCS)
    sign_in(production, "it")
    document = production.get("/openapi.json")
    assert document.status_code == 200 and "/api/v1/health" in document.json()["paths"]
    for path in ("/docs", "/redoc"):
        viewer = production.get(path)
        assert viewer.status_code == 200 and "/openapi.json" in viewer.text
        assert "frame-ancestors 'none'" in viewer.headers["content-security-policy"]


def test_api_docs_outside_production_are_open(client: TestClient) -> None:
    for path in DOCS:
        assert client.get(path).status_code == 200
