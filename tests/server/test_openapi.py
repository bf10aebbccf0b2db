"""/openapi.json describes every JSON reply: no 2xx application/json response without a schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.settings import ServerSettings

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
def document(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The OpenAPI document of a real application (the schema does not depend on the
    database, so SQLite alone)."""
    settings = ServerSettings(database_url=f"sqlite:///{tmp_path / 'server.sqlite3'}",
                              storage_dir=tmp_path / "storage")
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            yield client.get("/openapi.json").json()
    finally:
        app.state.broker.close()
        app.state.database.engine.dispose()


def untyped_replies(document: dict[str, Any]) -> list[str]:
    """"METHOD path status" of every 2xx JSON reply whose schema is missing or empty."""
    offending = []
    for path, operations in document["paths"].items():
        for method in METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            for status, response in operation.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                content = response.get("content", {}).get("application/json")
                if content is not None and not _describes(content.get("schema") or {}):
                    offending.append(f"{method.upper()} {path} {status}")
    return offending


def _describes(schema: dict[str, Any]) -> bool:
    """Whether a schema says something: not {} (nor only a title, which is what FastAPI
    writes for ``-> Any``), not an object that may hold anything."""
    said = {key: value for key, value in schema.items() if key not in ("title", "description")}
    if not said:
        return False
    open_object = (said.get("type") == "object" and not said.get("properties")
                   and said.get("additionalProperties", True) is True)
    return not open_object


def test_every_json_reply_has_a_schema(document: dict[str, Any]) -> None:
    assert untyped_replies(document) == []


def test_the_check_finds_an_untyped_reply() -> None:
    # The check itself: a reply declared as "anything" is reported, a typed one is not.
    document = {"paths": {
        "/typed": {"get": {"responses": {"200": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Board"}}}}}}},
        "/untyped": {"post": {"responses": {
            "201": {"content": {"application/json": {"schema": {}}}},
            "422": {"content": {"application/json": {"schema": {}}}}}}},
        "/bare": {"get": {"responses": {"200": {"content": {"application/json": {}}}}}},
        "/any": {"get": {"responses": {"200": {"content": {"application/json": {
            "schema": {"title": "Response Any"}}}}}}},
        "/dict": {"get": {"responses": {"200": {"content": {"application/json": {
            "schema": {"type": "object", "additionalProperties": True}}}}}}},
        "/empty": {"delete": {"responses": {"204": {"description": "gone"}}}}}}
    assert untyped_replies(document) == ["POST /untyped 201", "GET /bare 200", "GET /any 200",
                                        "GET /dict 200"]


def test_queue_replies_are_the_protocol_models(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("TicketIssued", "ServicesReply", "Board", "StaffBoard", "RatingLevels",
                 "TicketToRate"):
        assert name in schemas, name
