"""The server starts on SQLite and on PostgreSQL and reports its database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.settings import DEFAULT_SECRET, ServerSettings, SettingsError


def test_health_reports_the_database(client: TestClient, database_url: str) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": database_url.split(":")[0]
                               .split("+")[0]}


def test_openapi_document_is_served(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "/api/v1/health" in document["paths"]


def test_production_refuses_default_secret_and_insecure_cookies() -> None:
    with pytest.raises(SettingsError, match="secret_key"):
        ServerSettings(mode="production", secret_key=DEFAULT_SECRET, secure_cookies=True)
    with pytest.raises(SettingsError, match="secure_cookies"):
        ServerSettings(mode="production", secret_key="x" * 40)
    assert ServerSettings(mode="production", secret_key="x" * 40, secure_cookies=True)
