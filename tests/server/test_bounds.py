"""Out-of-range input answers a clear refusal, never 500 (issue #12, finding 8), on SQLite
and PostgreSQL: ids beyond the integer column in paths and forms, dashboard dates near year
1 or 9999, over-long signature headers, and NUL characters in what people send."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from protocol.signing import canonical, device_id, public_key_bytes
from protocol.text import NUL_MESSAGE_EN, NUL_MESSAGE_ZH
from server.models import OutboxReceipt, SeenNonce
from server.queue.issuing import issue_ticket
from server.ratings.models import Complaint, Rating
from server.security import create_user
from tests.provisioning.live_server import make_token
from tests.provisioning.signed import FACTS, body_of, enrol, heartbeat_report, send
from tests.server.queue_setup import PASSWORD, make_queue_hall

HUGE = "99999999999999999999"
TOP = 2**31 - 1  # the largest id a column holds: in range, not found
API = "/api/v1"


@pytest.fixture
def hall(server_app: FastAPI) -> dict[str, Any]:
    """The queue hall with a supervisor, a province IT admin, a ticket called at window 1."""
    with server_app.state.database.sessions() as session:
        q = make_queue_hall(session)
        create_user(session, "boss-QX", PASSWORD, "supervisor", "QX-01")
        create_user(session, "it-all", PASSWORD, "it_admin")
        ticket, _ = issue_ticket(session, q.hall, "legal-aid", actor="test")
        session.commit()
        return {"ticket": ticket.id}


def signed_in(app: FastAPI, username: str) -> TestClient:
    """A client of its own signed in as username, sending the CSRF header."""
    client = TestClient(app)
    reply = client.post(f"{API}/session", json={"username": username, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    client.headers["X-CSRF-Token"] = reply.json()["csrf_token"]
    return client


def terminal_key(app: FastAPI, client: TestClient) -> Ed25519PrivateKey:
    """An accepted query terminal of the hall."""
    key = Ed25519PrivateKey.generate()
    reply = enrol(client, key, make_token(app, "query", hall_code="QX-01"))
    assert reply.json()["status"] == "accepted"
    return key


def test_ids_beyond_the_column_are_not_found(server_app: FastAPI, hall: dict[str, Any]) -> None:
    boss, it = signed_in(server_app, "boss-QX"), signed_in(server_app, "it-all")
    staff = signed_in(server_app, "staff1-QX-01")
    for client, method, path, wanted in (
            (boss, "GET", f"/followups/{HUGE}", 404),  # pages: "page not found"
            (boss, "GET", f"/followups/{TOP}", 404),
            (boss, "POST", f"/followups/{HUGE}/visit", 400),
            (boss, "POST", f"/my-ratings/{HUGE}/appeal", 400),
            (boss, "GET", f"/staff/{HUGE}/photo", 404),
            (boss, "POST", f"/staff/{HUGE}", 400),
            (it, "GET", f"/fleet/terminals/{HUGE}", 404),
            (it, "GET", f"/fleet/terminals/{TOP}", 404),
            (it, "GET", f"/fleet/terminals/{HUGE}/screenshot.png", 404),
            (it, "POST", f"/fleet/terminals/{HUGE}/revoke", 400),
            (it, "POST", f"/fleet/pending/{HUGE}/accept", 400),
            (boss, "GET", f"{API}/followups/{HUGE}", 422),  # the API: which field, and why
            (boss, "GET", f"{API}/followups/-1", 422),
            (boss, "POST", f"{API}/followups/{HUGE}/close", 422),
            (staff, "POST", f"{API}/queue/windows/1/tickets/{HUGE}/start", 422),
            (staff, "POST", f"{API}/queue/windows/1/tickets/{HUGE}/visitor", 422)):
        reply = client.request(method, path, json={} if path.startswith(API) else None)
        assert reply.status_code == wanted, (path, reply.status_code, reply.text[:300])
        if wanted == 422:
            assert "less than or equal to 2147483647" in reply.text or "greater" in reply.text
        else:
            assert "<html" in reply.text  # the Chinese error page
    # A hall id out of range in a form (accepting a terminal) is a form error too.
    pending = it.post(f"/fleet/pending/{TOP}/accept", data={"hall_id": HUGE, "profile": "query"})
    assert pending.status_code == 400 and "<html" in pending.text


DATES = ["/dashboard?end=0001-01-05", "/dashboard?start=9999-12-01",
         "/dashboard?start=9999-12-01&end=9999-12-31", "/dashboard?start=0001-01-01&end=0001-01-05",
         "/dashboard/export.csv?end=0001-01-05", "/dashboard/export.xlsx?start=9999-12-01",
         "/dashboard/report?month=9999-12", "/dashboard/report.xlsx?month=9999-12",
         "/dashboard/report?month=0001-01"]


def test_dashboard_dates_outside_the_sane_range(server_app: FastAPI,
                                                hall: dict[str, Any]) -> None:
    boss = signed_in(server_app, "boss-QX")
    for query in DATES:
        reply = boss.get(query)
        assert reply.status_code == 400, (query, reply.text[:300])
        assert "日期须在 2000-01-01 至 2100-12-31 之间" in reply.text
        assert "Dates must be between 2000-01-01 and 2100-12-31" in reply.text
    assert boss.get("/dashboard?start=2000-01-01&end=2000-01-31").status_code == 200
    assert boss.get("/dashboard?end=2000-01-05").status_code == 200  # from 2000-01-01


def _with_nonce(key: Ed25519PrivateKey, path: str, body: bytes, nonce: str) -> dict[str, str]:
    timestamp = str(int(dt.datetime.now(dt.UTC).timestamp()))
    signature = key.sign(canonical("POST", path, timestamp, nonce, body))
    return {"X-Device-Id": device_id(public_key_bytes(key)), "X-Timestamp": timestamp,
            "X-Nonce": nonce, "X-Signature": base64.b64encode(signature).decode(),
            "Content-Type": "application/json"}


def test_over_long_signature_headers_are_refused_before_use(server_app: FastAPI,
                                                            client: TestClient,
                                                            hall: dict[str, Any]) -> None:
    key = terminal_key(server_app, client)
    body = body_of(heartbeat_report())
    path = f"{API}/heartbeat"
    long_nonce = "n" * 65  # signed correctly: only its length is wrong
    reply = client.post(path, content=body, headers=_with_nonce(key, path, body, long_nonce))
    assert reply.status_code == 401 and "too long: X-Nonce" in reply.text
    for name, value in (("X-Device-Id", "d" * 65), ("X-Timestamp", "1" * 5000),
                        ("X-Signature", "s" * 129)):
        headers = {**_with_nonce(key, path, body, uuid.uuid4().hex), name: value}
        reply = client.post(path, content=body, headers=headers)
        assert reply.status_code == 401 and f"too long: {name}" in reply.text
    with server_app.state.database.sessions() as session:
        assert session.scalar(select(func.max(func.length(SeenNonce.nonce)))) <= 64
    fine = client.post(path, content=body, headers=_with_nonce(key, path, body, "n" * 64))
    assert fine.status_code == 200, fine.text


def _refused_for_nul(reply: Any) -> None:
    assert reply.status_code == 422, reply.text[:300]
    assert NUL_MESSAGE_ZH in reply.text and NUL_MESSAGE_EN in reply.text


def test_nul_in_public_text_is_refused_on_both_databases(server_app: FastAPI,
                                                         client: TestClient,
                                                         hall: dict[str, Any]) -> None:
    staff = signed_in(server_app, "staff1-QX-01")
    boss = signed_in(server_app, "boss-QX")
    bad = "拆迁\x00补偿"
    # JSON bodies: a complaint, the ledger, a follow-up note. (Sign-in takes a NUL in a
    # name as just a wrong name: test_auth.)
    _refused_for_nul(client.post(f"{API}/complaints/QX-01", json={
        "category": "attitude", "content": bad}))
    assert staff.post(f"{API}/queue/windows/1/call-next").status_code == 200
    _refused_for_nul(staff.post(f"{API}/queue/windows/1/tickets/{hall['ticket']}/visitor",
                                json={"matter": bad}))
    _refused_for_nul(boss.post(f"{API}/followups/{TOP}/visit", json={"text": bad}))
    # HTML forms: the public complaint form, a rating comment, a follow-up step, staff details.
    _refused_for_nul(client.post("/complain/QX-01", data={"category": "attitude",
                                                          "content": bad}))
    _refused_for_nul(client.post("/c/some-token", data={"comment": bad}))
    _refused_for_nul(boss.post(f"/followups/{TOP}/visit", data={"text": bad}))
    _refused_for_nul(boss.post(f"/staff/{TOP}", data={"full_name": bad}))
    # Addresses: a phone page token, a ticket number, a hall code, a query.
    _refused_for_nul(client.get("/t/abc%00def"))
    _refused_for_nul(client.get(f"{API}/ratings/ticket/A%0001"))
    _refused_for_nul(client.get("/complain/QX%0001"))
    _refused_for_nul(boss.get("/followups?state=open%00"))
    # Enrolment: a signed request whose facts carry a NUL.
    key = Ed25519PrivateKey.generate()
    payload = {"public_key": base64.b64encode(public_key_bytes(key)).decode(),
               "identity": {**FACTS, "hostname": "kiosk\x00-01"}, "token": None}
    _refused_for_nul(send(client, key, "POST", f"{API}/enrol", body_of(payload)))
    with server_app.state.database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_terminal_reports_have_nul_dropped_not_refused(server_app: FastAPI,
                                                       client: TestClient,
                                                       hall: dict[str, Any]) -> None:
    """What a terminal reports by itself is stored without its NULs (refusing it would stall
    the terminal), and the dashboard reads it on PostgreSQL too."""
    key = terminal_key(server_app, client)
    at = dt.datetime.now(dt.UTC).isoformat()
    items = [{"key": str(uuid.uuid4()), "kind": kind, "payload": payload, "created_at": at}
             for kind, payload in (
                 ("complaint", {"category": "process", "phone": "", "content": "排队\x00太久"}),
                 ("rating", {"level": 5, "comment": "好\x00", "source": "terminal"}),
                 ("usage.search", {"query": "律\x00师", "results": 0}))]
    reply = send(client, key, "POST", f"{API}/outbox", body_of({"items": items}))
    assert reply.status_code == 200 and len(reply.json()["accepted"]) == 3, reply.text
    assert send(client, key, "POST", f"{API}/heartbeat", body_of(heartbeat_report(
        last_error="printer\x00 jammed"))).status_code == 200
    with server_app.state.database.sessions() as session:
        assert session.scalar(select(Complaint.content)) == "排队太久"
        assert session.scalar(select(Rating.comment)) == "好"
        queries = [r.payload.get("query") for r in session.scalars(select(OutboxReceipt))]
        assert "律师" in queries
    page = signed_in(server_app, "boss-QX").get("/dashboard")
    assert page.status_code == 200 and "律师" in page.text
