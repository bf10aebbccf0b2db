"""Fuzz the API from its OpenAPI document with schemathesis: no request gets a 5xx.

Every operation of ``/openapi.json`` is fuzzed four times over, once per caller:
anonymous; an accepted terminal that signs each generated request with its Ed25519
key (protocol/signing.py), so the handlers behind signature checks are reached;
and a signed-in editor and IT admin whose session cookie and X-CSRF-Token go with
every request. Valid and invalid inputs (schemathesis' positive and negative modes),
a fixed number of examples, derandomized: the same cases on every run, on SQLite.
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import hypothesis
import pytest
import requests
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from requests.models import PreparedRequest
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from content.signing import generate_key
from protocol.signing import public_key_bytes, sign_request
from server.app import create_app
from server.fleet.commands import queue_command
from server.queue.issuing import issue_ticket
from server.security import create_user
from server.settings import ServerSettings
from tests.provisioning.live_server import make_token
from tests.provisioning.signed import enrol, terminal_row
from tests.server.queue_setup import PASSWORD as QUEUE_PASSWORD
from tests.server.queue_setup import make_queue_hall

PASSWORD = "correct horse battery"
EXAMPLES_PER_OPERATION = 20

pytestmark = [
    # SQLite only: the fuzzing exercises input handling, which does not depend on the database
    # kind, and a second run on PostgreSQL would double the time of the slowest server test.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> ServerSettings:
    """Test settings that trust a content key, so publishing gets past its configuration."""
    public_key = generate_key(tmp_path / "keys" / "content.key")
    return ServerSettings(database_url=database_url, storage_dir=tmp_path / "storage",
                          content_public_key=public_key, max_upload_bytes=100_000)


class SignedRequestAuth(requests.auth.AuthBase):
    """Sign the request exactly as it goes out: method, path and query, body bytes."""

    def __init__(self, key: Ed25519PrivateKey):
        self.key = key

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        url = urlsplit(request.path_url)
        # The server verifies request.url.path, which is the percent-decoded path.
        path = unquote(url.path) + (f"?{url.query}" if url.query else "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        request.headers.update(sign_request(self.key, request.method or "GET", path, body))
        return request


def _add_user(app: FastAPI, username: str, role: str) -> None:
    with app.state.database.sessions() as session:
        create_user(session, username, PASSWORD, role)
        session.commit()


@pytest.fixture
def terminal_key(server_app: FastAPI, client: TestClient) -> Ed25519PrivateKey:
    """An accepted terminal's key, with a command waiting for it (id 1)."""
    key = Ed25519PrivateKey.generate()
    assert enrol(client, key, make_token(server_app)).json()["status"] == "accepted"
    row = terminal_row(server_app, key)
    assert row is not None
    with server_app.state.database.sessions() as session:
        queue_command(session, row.id, "reload_content")
        session.commit()
    return key


@pytest.fixture
def caller(request: pytest.FixtureRequest, server_app: FastAPI,
           client: TestClient) -> Iterator[requests.Session]:
    """A requests session whose auth, cookies and headers go with every fuzzed request."""
    session = requests.Session()
    if request.param == "terminal":
        session.auth = SignedRequestAuth(request.getfixturevalue("terminal_key"))
    elif request.param in ("editor", "it_admin"):
        _add_user(server_app, request.param, request.param)
        response = client.post("/api/v1/session",
                               json={"username": request.param, "password": PASSWORD})
        assert response.status_code == 200, response.text
        session.cookies.update(dict(response.cookies))
        session.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    elif request.param == "staff":  # at window 1 of a hall with waiting tickets
        with server_app.state.database.sessions() as db:
            hall = make_queue_hall(db).hall
            for service in ("legal-aid", "notary", "legal-aid"):
                issue_ticket(db, hall, service, actor="fuzz")
            db.commit()
        response = client.post("/api/v1/session",
                               json={"username": "staff1-QX-01", "password": QUEUE_PASSWORD})
        assert response.status_code == 200, response.text
        session.cookies.update(dict(response.cookies))
        session.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    with session:
        yield session


def _document_app() -> FastAPI:
    """An application that only serves the OpenAPI document the cases are generated from.

    Its engine never connects and its storage folder already exists, so importing this
    module writes nothing; every test sends its cases to its own migrated server_app.
    """
    return create_app(ServerSettings(database_url="sqlite://",
                                     storage_dir=Path(tempfile.gettempdir())), migrate=False)


# Event streams never end by themselves (tests/server/test_queue_api.py covers them).
schema = schemathesis.openapi.from_asgi("/openapi.json", _document_app()).exclude(
    path_regex=r"/events$")
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                deterministic=True)
# Examples and fuzzing phases only: the coverage phase is not bounded by max_examples,
# so it would tie the run time to the schema's size instead of EXAMPLES_PER_OPERATION.
schema.config.phases.coverage.enabled = False


@pytest.mark.parametrize("caller", ["anonymous", "terminal", "editor", "it_admin", "staff"],
                         indirect=True)
@schema.parametrize()
# server_app and the caller are function-scoped on purpose: one server per operation and
# caller, shared by its examples (state builds up as it would on a real server).
@hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None,
                     database=None, suppress_health_check=[
                         hypothesis.HealthCheck.function_scoped_fixture,
                         hypothesis.HealthCheck.too_slow])
def test_no_request_gets_a_server_error(case: schemathesis.Case, server_app: FastAPI,
                                        caller: requests.Session,
                                        terminal_key: Ed25519PrivateKey) -> None:
    if (case.operation.path == "/api/v1/enrol" and isinstance(case.body, dict)
            and isinstance(caller.auth, SignedRequestAuth)):
        # Enrol with the signing key itself, so the signature check passes and the
        # enrolment handler sees the rest of the fuzzed body.
        case.body["public_key"] = base64.b64encode(public_key_bytes(terminal_key)).decode()
    case.call_and_validate(session=caller, app=server_app, checks=[not_a_server_error])
