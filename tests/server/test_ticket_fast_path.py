"""POST /api/v1/queue/tickets is served by a pure-ASGI fast path (server/api/tickets.py
TicketFastPath) for a plain JSON body: every answer it gives is the one the FastAPI route
gives to the same request (reached here with ``; charset=utf-8`` on the content type),
status, body and headers; what it does not serve (a body the model refuses, a query) goes
on to the route, body and all."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from protocol.signing import sign_request
from server.api import tickets as tickets_api
from server.models import Terminal
from tests.provisioning.live_server import set_status
from tests.server.test_bounds import terminal_key
from tests.server.test_ticket_path import PATH, hall  # noqa: F401  (the fixture)

FAST, ROUTE = "application/json", "application/json; charset=utf-8"
VOLATILE = {"id", "number", "token", "issued_at", "people_ahead", "wait_minutes"}


def send(client: TestClient, key: Ed25519PrivateKey, content_type: str, *,
         service: str = "legal-aid", idempotency_key: str | None = None, query: str = "",
         body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    raw = body if body is not None else json.dumps(
        {"service": service, "priority": "normal",
         "idempotency_key": idempotency_key or uuid.uuid4().hex}).encode()
    signed = sign_request(key, "POST", PATH + query, raw) if headers is None else headers
    return client.post(PATH + query, content=raw,
                       headers={"Content-Type": content_type, **signed})


def answer(reply: Any) -> tuple[int, Any, dict[str, str]]:
    """What a client sees of a reply, less what differs between two tickets."""
    body = reply.json()
    if isinstance(body, dict) and "token" in body:
        body = {k: v for k, v in body.items() if k not in VOLATILE}
    headers = {k: v for k, v in reply.headers.items()
               if k not in ("content-length", "date", "server")}
    return reply.status_code, body, headers


def test_the_fast_path_answers_as_the_route_does(server_app: FastAPI, client: TestClient,
                                                 hall: None,  # noqa: F811
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    served = []
    fast_body = tickets_api._fast_body

    def spy(scope: Any, raw: bytes) -> Any:
        body = fast_body(scope, raw)
        served.append(body is not None)
        return body

    monkeypatch.setattr(tickets_api, "_fast_body", spy)
    key, stranger = terminal_key(server_app, client), Ed25519PrivateKey.generate()
    kept = uuid.uuid4().hex

    def both(**kwargs: Any) -> tuple[Any, Any]:
        return send(client, key, FAST, **kwargs), send(client, key, ROUTE, **kwargs)

    cases: list[tuple[int, dict[str, Any]]] = [
        (201, {}),
        (404, {"service": "divorce"}),  # a QueueError: {"error", "message", ...}
        (401, {"headers": {}}),  # no signature: {"detail"}
    ]
    for status, kwargs in cases:
        served.clear()
        fast, route = both(**kwargs)
        assert served == [True, False]  # the first by the fast path, the second by FastAPI
        assert fast.status_code == status, fast.text
        assert answer(fast) == answer(route)
        assert fast.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in fast.headers["content-security-policy"]
    # The same idempotency key: the same ticket (200) on either path.
    first = send(client, key, FAST, idempotency_key=kept)
    again = [send(client, key, content_type, idempotency_key=kept)
             for content_type in (FAST, ROUTE)]
    assert first.status_code == 201 and [r.status_code for r in again] == [200, 200]
    assert {r.json()["id"] for r in again} == {first.json()["id"]}
    assert answer(again[0]) == answer(again[1])
    # Unknown terminal, replay: both refused alike.
    fast = send(client, stranger, FAST)
    route = send(client, stranger, ROUTE)
    assert fast.status_code == 401 and answer(fast) == answer(route)
    raw = json.dumps({"service": "legal-aid", "priority": "normal",
                      "idempotency_key": uuid.uuid4().hex}).encode()
    replayed = sign_request(key, "POST", PATH, raw)
    assert send(client, key, FAST, body=raw, headers=replayed).status_code == 201
    replays = [send(client, key, content_type, body=raw, headers=replayed)
               for content_type in (FAST, ROUTE)]
    assert [r.status_code for r in replays] == [401, 401]
    assert answer(replays[0]) == answer(replays[1]) and "replayed" in replays[0].text
    # Not served by the fast path: a body the model refuses (the route's 422 shape) and a
    # query; both answered by the route as before.
    served.clear()
    bad = send(client, key, FAST, idempotency_key="short")
    assert served == [False] and bad.status_code == 422
    assert bad.json()["error"] == "invalid request"
    assert [d["field"] for d in bad.json()["details"]] == ["body.idempotency_key"]
    served.clear()
    assert send(client, key, FAST, query="?from=test").status_code == 201
    assert served == []  # not even read: the route reads it
    # Too large: the body limit's 413, before anything is read as a ticket.
    served.clear()
    huge = send(client, key, FAST, body=b'{"service": "' + b"x" * 2_000_000 + b'"}')
    assert huge.status_code == 413 and huge.json()["error"] == "body_too_large"
    assert served == [] and huge.headers["x-frame-options"] == "DENY"
    # A revoked terminal: 403 on both.
    with server_app.state.database.sessions() as session:
        device = session.scalars(select(Terminal.device_id)).one()
    set_status(server_app, device, "revoked", "QX-01")
    fast, route = send(client, key, FAST), send(client, key, ROUTE)
    assert fast.status_code == 403 and answer(fast) == answer(route)
