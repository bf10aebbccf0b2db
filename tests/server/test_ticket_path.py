"""POST /api/v1/queue/tickets, the busiest request, on SQLite and PostgreSQL: its reply is the
ticket as every other view shows it, its nonce is stored in the ticket's transaction and
still refuses a replay when the ticket was refused, and concurrent requests keep numbers
contiguous and an idempotency key to one ticket."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from protocol.enums import QueueEventKind
from protocol.queue import TicketIssued
from protocol.signing import sign_request
from server.models import Hall, SeenNonce, Service, Terminal
from server.queue.core import NOTIFY_CHANNEL
from server.queue.models import QueueEvent, Ticket, TicketEvent
from server.queue.views import ticket_view
from tests.provisioning.live_server import live_server, set_status
from tests.server.appointment_setup import set_up_bookable
from tests.server.queue_setup import make_queue_hall
from tests.server.test_appointments_api import ALL_DAY, _booked_today
from tests.server.test_bounds import terminal_key

PATH = "/api/v1/queue/tickets"


@pytest.fixture
def hall(server_app: FastAPI) -> None:
    with server_app.state.database.sessions() as session:
        make_queue_hall(session)


def signed(key: Ed25519PrivateKey, service: str, idempotency_key: str | None = None
           ) -> tuple[bytes, dict[str, str]]:
    """A ticket request's body and headers, signed once (sent again: a replay)."""
    body = json.dumps({"service": service, "priority": "normal",
                       "idempotency_key": idempotency_key or uuid.uuid4().hex}).encode()
    return body, {"Content-Type": "application/json",
                  **sign_request(key, "POST", PATH, body)}


def count(app: FastAPI, table: Any) -> int:
    with app.state.database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def listener(app: FastAPI) -> Any:
    """On PostgreSQL, a connection LISTENing as the other server processes do (else None)."""
    engine = app.state.database.engine
    if engine.dialect.name != "postgresql":
        return None
    import psycopg

    connection = psycopg.connect(engine.url.set(drivername="postgresql").render_as_string(
        hide_password=False), autocommit=True)
    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
    return connection


def test_the_reply_is_the_ticket_as_every_view_shows_it(server_app: FastAPI,
                                                         client: TestClient, hall: None) -> None:
    key = terminal_key(server_app, client)
    other_processes = listener(server_app)
    replies = []
    for _ in range(3):
        body, headers = signed(key, "legal-aid")
        reply = client.post(PATH, content=body, headers=headers)
        assert reply.status_code == 201, reply.text
        replies.append(reply.json())
    if other_processes is not None:  # each ticket woke the other processes' streams
        told = [n.payload for n in other_processes.notifies(timeout=2, stop_after=3)]
        other_processes.close()
        with server_app.state.database.sessions() as session:
            hall_id = session.scalar(select(Ticket.hall_id).where(Ticket.id == replies[0]["id"]))
        assert told == [str(hall_id)] * 3
    assert [r["number"] for r in replies] == ["A001", "A002", "A003"]
    assert replies[2]["people_ahead"] == 2 and replies[2]["wait_minutes"] > 0
    assert replies[2]["service_windows"] == [1, 2] and replies[2]["hall_name"]
    with server_app.state.database.sessions() as session:
        issued_at = []
        for reply in replies:
            ticket = session.get(Ticket, reply["id"])
            assert ticket is not None
            issued_at.append(ticket.issued_at)
            view = TicketIssued.model_validate({**ticket_view(session, ticket, private=True),
                                                "hall_name": reply["hall_name"]})
            # people ahead and the wait as they were when it was issued: nobody was called
            assert reply == json.loads(view.model_dump_json())
            events = session.scalars(select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id)).all()
            # every column as written (PostgreSQL: one statement; SQLite: one per table)
            detail = {"service": "legal-aid", "number": ticket.number, "priority": "normal"}
            assert [(e.kind, e.detail, e.window_id, e.at) for e in events] == [
                ("issued", detail, None, ticket.issued_at)]
            assert events[0].actor.startswith("terminal:")
            assert (ticket.seq, ticket.state, ticket.rank, ticket.call_count,
                    ticket.close_reason, ticket.visitor, ticket.appointment_code) == (
                int(ticket.number[1:]), "waiting", 2, 0, "", {}, None)
            assert ticket.arrival_at == ticket.issued_at and ticket.terminal_id is not None
            assert ticket.origin_service_id == ticket.service_id and ticket.idempotency_key
        feed = session.scalars(select(QueueEvent).order_by(QueueEvent.id)).all()
        issued = [(row.payload, row.created_at) for row in feed
                  if row.kind == QueueEventKind.ISSUED]
        assert [p for p, _at in issued] == [
            {"actor": events[0].actor, "service": "legal-aid", "number": number,
             "priority": "normal", "ticket": reply["id"]}
            for number, reply in zip(("A001", "A002", "A003"), replies, strict=True)]
        assert [at for _p, at in issued] == issued_at
        # A service no window serves (yet): no windows, and still the people ahead.
        hall_id = session.scalar(select(Hall.id).where(Hall.code == "QX-01"))
        session.add(Service(hall_id=hall_id, code="new", name="新业务", prefix="N"))
        session.commit()
    for ahead in (0, 1):
        body, headers = signed(key, "new")
        reply = client.post(PATH, content=body, headers=headers).json()
        assert (reply["service_windows"], reply["people_ahead"]) == ([], ahead)


def test_a_replay_is_refused_whatever_the_first_answer_was(server_app: FastAPI,
                                                           client: TestClient, hall: None) -> None:
    key = terminal_key(server_app, client)
    key_once = uuid.uuid4().hex
    taken = client.post(PATH, content=(first := signed(key, "notary", key_once))[0],
                        headers=first[1])
    assert taken.status_code == 201
    for _ in range(2):
        client.post(PATH, content=(body := signed(key, "notary"))[0], headers=body[1])
    requests_and_answers = [
        (first, 201),
        (signed(key, "notary", key_once), 200),  # a retry with a new nonce: the same ticket
        (signed(key, "notary"), 409),  # daily cap 3: refused, rolled back
        (signed(key, "divorce"), 404),  # no such service
    ]
    for (body, headers), status in requests_and_answers[1:]:
        reply = client.post(PATH, content=body, headers=headers)
        assert reply.status_code == status, reply.text
        if status == 200:
            assert reply.json()["id"] == taken.json()["id"]
    tickets, nonces = count(server_app, Ticket), count(server_app, SeenNonce)
    for (body, headers), _status in requests_and_answers:
        replay = client.post(PATH, content=body, headers=headers)
        assert replay.status_code == 401 and "replayed" in replay.json()["detail"]
    assert (count(server_app, Ticket), count(server_app, SeenNonce)) == (tickets, nonces)
    # A refused terminal's nonce is kept too.
    with server_app.state.database.sessions() as session:
        device_id = session.scalars(select(Terminal.device_id)).one()
    set_status(server_app, device_id, "revoked", "QX-01")
    body, headers = signed(key, "legal-aid")
    assert client.post(PATH, content=body, headers=headers).status_code == 403
    replay = client.post(PATH, content=body, headers=headers)
    assert replay.status_code == 401 and "replayed" in replay.json()["detail"]
    assert count(server_app, Ticket) == tickets


def test_a_check_in_through_the_ticket_route_is_created_once(server_app: FastAPI,
                                                              client: TestClient,
                                                              hall: None) -> None:
    with server_app.state.database.sessions() as session:
        hall_row = session.scalar(select(Hall).where(Hall.code == "QX-01"))
        set_up_bookable(session, hall_row, [{"code": "lawyer", "name": "律师值班咨询",
                                             "queue_service": "legal-aid", "slots": ALL_DAY,
                                             "capacity": 5}])
    code = _booked_today(server_app, "13700001111")
    key, idempotency_key = terminal_key(server_app, client), uuid.uuid4().hex
    answers = []
    for _ in range(2):  # a retry with a new nonce and the same key
        body = json.dumps({"service": "legal-aid", "priority": "appointment",
                           "appointment_code": code, "idempotency_key": idempotency_key})
        reply = client.post(PATH, content=body, headers={
            "Content-Type": "application/json",
            **sign_request(key, "POST", PATH, body.encode())})
        answers.append((reply.status_code, reply.json()["id"], reply.json()["priority"]))
    assert [status for status, _id, _p in answers] == [201, 200]
    assert answers[0][1:] == answers[1][1:] and answers[0][2] == "appointment"


@pytest.fixture
def url(server_app: FastAPI, hall: None) -> Iterator[str]:
    with live_server(server_app) as url:
        yield url


def test_concurrent_requests_keep_numbers_contiguous_and_keys_to_one_ticket(
        server_app: FastAPI, client: TestClient, url: str) -> None:
    keys = [terminal_key(server_app, client) for _ in range(3)]
    shared = uuid.uuid4().hex
    replies: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def take(key: Ed25519PrivateKey, idempotency_key: str | None, times: int) -> None:
        with requests.Session() as http:
            for _ in range(times):
                body, headers = signed(key, "legal-aid", idempotency_key)
                reply = http.post(url + PATH, data=body, headers=headers, timeout=30)
                with lock:
                    replies.append((reply.status_code, reply.json()))

    threads = [threading.Thread(target=take, args=(keys[0], shared, 5)) for _ in range(3)]
    threads += [threading.Thread(target=take, args=(key, None, 10)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(replies) == 45 and {status for status, _ in replies} <= {200, 201}
    same = {r["id"] for _status, r in replies}
    with server_app.state.database.sessions() as session:
        rows = session.execute(select(Ticket.id, Ticket.seq, Ticket.idempotency_key)).all()
        arrivals = list(session.scalars(select(Ticket.arrival_at).order_by(Ticket.seq)))
    assert len(rows) == 31  # 30 with keys of their own, one for the 15 with the shared key
    assert sorted(seq for _id, seq, _key in rows) == list(range(1, 32))
    assert arrivals == sorted(arrivals)  # a later number never arrives before an earlier one
    shared_ids = {id_ for id_, _seq, key in rows if key == shared}
    assert len(shared_ids) == 1 and shared_ids <= same
    assert [status for status, r in replies if r["id"] in shared_ids].count(201) == 1


def test_the_issue_path_reuses_a_service_average_only_for_a_while(
        server_app: FastAPI, client: TestClient, hall: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The reply's wait reads the service's recent finished tickets at most every
    REUSE_MINUTES_SECONDS (it was one of a ticket's eight statements); after that the
    newly finished ones count, exactly as every other view counts them."""
    from server.queue import views

    key = terminal_key(server_app, client)

    def take() -> dict[str, Any]:
        body, headers = signed(key, "legal-aid")
        reply = client.post(PATH, content=body, headers=headers)
        assert reply.status_code == 201, reply.text
        return dict(reply.json())

    first, second = take(), take()  # A001 waits; A002 has one person ahead
    assert second["people_ahead"] == 1
    with server_app.state.database.sessions() as session, session.begin():
        ticket = session.get(Ticket, first["id"])
        assert ticket is not None
        ticket.state, ticket.called_at = "finished", ticket.issued_at
        ticket.finished_at = ticket.issued_at + dt.timedelta(minutes=90)
    third = take()  # one ahead again (A002), within the reuse: the average read before
    assert (third["people_ahead"], third["wait_minutes"]) == (1, second["wait_minutes"])
    monkeypatch.setattr(views, "REUSE_MINUTES_SECONDS", 0.0)
    fourth = take()  # two ahead, the 90-minute service counted now
    assert fourth["people_ahead"] == 2 and fourth["wait_minutes"] > 2 * second["wait_minutes"]
    with server_app.state.database.sessions() as session:
        ticket = session.get(Ticket, fourth["id"])
        assert ticket is not None
        assert ticket_view(session, ticket)["wait_minutes"] == fourth["wait_minutes"]
