"""Group commit of POST /api/v1/queue/tickets (server/api/ticket_writer.py _TicketWriter), over real
HTTP on loopback, on SQLite and PostgreSQL: ticket requests that arrive while a batch is
being written are written together, one transaction and one commit, without a savepoint
per request. Every request is answered as it would be alone: numbers unique and contiguous
per service (a refusal takes no number), one ticket per
idempotency key, a replayed nonce and an unknown service refused while the others succeed,
refused requests' nonces kept, no reply before the commit, every ticket in the feed. A batch
that fails as a whole is rolled back and done again one request at a time."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from protocol.enums import QueueEventKind
from server.api import ticket_writer
from server.models import SeenNonce
from server.queue.models import QueueEvent, Ticket, TicketEvent
from tests.provisioning.live_server import live_server
from tests.server.test_bounds import terminal_key
from tests.server.test_ticket_path import PATH, count, hall, signed  # noqa: F401  (fixture)

Request = tuple[bytes, dict[str, str]]


@pytest.fixture
def url(server_app: FastAPI, hall: None) -> Iterator[str]:  # noqa: F811
    with live_server(server_app) as url:
        yield url


class Gate:
    """Holds the writer's first batch (of one or more) until the other requests all wait
    for the next, then lets them through; records the sizes of the batches written."""

    def __init__(self, app: FastAPI, monkeypatch: pytest.MonkeyPatch):
        self.open = threading.Event()
        self.sizes: list[int] = []
        self.last: list[Any] = []
        self.writer = ticket_writer.writer_of(app.state.database)
        monkeypatch.setattr(self.writer, "_most", 1)  # one writer: one batch for the rest
        alone, batch = ticket_writer._write_alone, ticket_writer._write_batch

        def held(job: Any) -> Any:
            self.sizes.append(1)
            assert self.open.wait(30)
            return alone(job)

        def written(database: Any, jobs: list[Any]) -> None:
            self.sizes.append(len(jobs))
            assert self.open.wait(30)
            self.last = jobs
            batch(database, jobs)

        monkeypatch.setattr(ticket_writer, "_write_alone", held)
        monkeypatch.setattr(ticket_writer, "_write_batch", written)

    def release_when_waiting(self, total: int, since: int = 0) -> None:
        """Open once a batch (the first after since batches) is held and the rest of total
        requests wait."""
        deadline = time.monotonic() + 30
        while len(self.sizes) <= since or self.sizes[since] + len(self.writer._waiting) < total:
            if time.monotonic() > deadline:
                break  # the test's assertions tell
            time.sleep(0.01)
        self.open.set()


def post_all(url: str, app: FastAPI, requests_: list[Request]) -> list[tuple[int, Any]]:
    """Each request on its own connection, all at once; (status, body) in order. A ticket
    answered is already committed: read back at once through another connection."""
    answers: list[tuple[int, Any]] = [(0, None)] * len(requests_)
    committed: list[bool] = []

    def post(index: int) -> None:
        body, headers = requests_[index]
        reply = requests.post(url + PATH, data=body, headers=headers, timeout=60)
        answers[index] = (reply.status_code, reply.json())
        if reply.status_code in (200, 201):
            with app.state.database.sessions() as session:
                committed.append(session.get(Ticket, reply.json()["id"]) is not None)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(requests_))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert all(committed) and len(committed) == sum(
        status in (200, 201) for status, _ in answers)
    return answers


def check_numbers_and_feed(app: FastAPI) -> None:
    """Numbers 1..n per service, each ticket once in its events and the hall's feed."""
    with app.state.database.sessions() as session:
        tickets = session.execute(select(Ticket.id, Ticket.origin_service_id, Ticket.seq,
                                         Ticket.number)).all()
        for service in {service for _id, service, _seq, _number in tickets}:
            seqs = sorted(seq for _id, s, seq, _number in tickets if s == service)
            assert seqs == list(range(1, len(seqs) + 1))
        events = Counter(session.scalars(select(TicketEvent.ticket_id).where(
            TicketEvent.kind == QueueEventKind.ISSUED)))
        feed = Counter(row.payload["ticket"] for row in session.scalars(
            select(QueueEvent).where(QueueEvent.kind == QueueEventKind.ISSUED)))
        assert events == feed == Counter(id_ for id_, _service, _seq, _number in tickets)


def test_one_batch_answers_every_request_as_alone(server_app: FastAPI, client: TestClient,
                                                  url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    keys = [terminal_key(server_app, client) for _ in range(3)]
    gate = Gate(server_app, monkeypatch)
    shared = uuid.uuid4().hex
    first = signed(keys[0], "legal-aid")
    replayed = signed(keys[1], "legal-aid")
    batch: list[Request] = (
        [signed(keys[i % 3], "legal-aid") for i in range(9)]
        + [signed(keys[2], "legal-aid", shared) for _ in range(4)]  # one key: one ticket
        + [signed(keys[i % 3], "notary") for i in range(5)]  # daily cap 3: two refused
        + [replayed, replayed]  # the same nonce twice in one batch: one refused
        + [first]  # the nonce of the request before, written alone: a replay
        + [signed(keys[1], "divorce")]  # no such service
        + [signed(Ed25519PrivateKey.generate(), "legal-aid")]  # unknown terminal
        + [signed(keys[0], "mediation")])  # open on Monday mornings only: closed, or a ticket
    gate.open.set()  # the request before, alone
    assert post_all(url, server_app, [first])[0][0] == 201
    gate.open.clear()  # the first of the batch's requests is held alone, then the rest
    sizes = len(gate.sizes)
    threading.Thread(target=gate.release_when_waiting, args=(len(batch), sizes)).start()
    answers = post_all(url, server_app, batch)
    held, *rest = gate.sizes[sizes:]
    assert rest == [len(batch) - held] and rest[0] >= 12  # the rest together

    statuses = [status for status, _body in answers]
    assert statuses[:9] == [201] * 9
    assert sorted(statuses[9:13]) == [200, 200, 200, 201]
    assert len({body["id"] for _status, body in answers[9:13]}) == 1
    assert sorted(statuses[13:18]) == [201, 201, 201, 409, 409]
    assert sorted(statuses[18:20]) == [201, 401]
    assert statuses[20:23] == [401, 404, 401]
    assert statuses[23] in (201, 409)
    assert all("replayed" in body["detail"] for status, body in answers[18:21]
               if status == 401)
    numbers = sorted(body["number"] for status, body in answers if status == 201)
    assert [n for n in numbers if n[0] == "A"] == [f"A{n:03d}" for n in range(2, 13)]
    assert [n for n in numbers if n[0] == "B"] == ["B001", "B002", "B003"]
    check_numbers_and_feed(server_app)
    # The refused requests' nonces were kept (the cap's, the unknown service's): replays.
    nonces = count(server_app, SeenNonce)
    refused_after_nonce = [batch[i] for i, (status, _body) in enumerate(answers)
                           if status in (404, 409)]
    assert len(refused_after_nonce) >= 3
    gate.open.set()
    for status, body in post_all(url, server_app, refused_after_nonce):
        assert status == 401 and "replayed" in body["detail"]
    assert count(server_app, SeenNonce) == nonces


def test_a_failed_batch_is_done_again_one_by_one(server_app: FastAPI, client: TestClient,
                                                 url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    keys = [terminal_key(server_app, client) for _ in range(2)]
    gate = Gate(server_app, monkeypatch)
    job_written: Callable[..., None] = ticket_writer._write_job
    failed: list[Any] = []
    written: list[Any] = []

    def fails_at_the_last(session: Any, connection: Any, job: Any, settings: Any,
                          issued: Any) -> None:
        job_written(session, connection, job, settings, issued)
        written.append(job)
        if not failed and len(written) == len(gate.last):  # after all the others' work
            failed.append(job)
            raise OperationalError("COMMIT", {}, Exception("lost the connection"))

    monkeypatch.setattr(ticket_writer, "_write_job", fails_at_the_last)
    shared = uuid.uuid4().hex
    batch = ([signed(keys[i % 2], "legal-aid") for i in range(6)]
             + [signed(keys[0], "legal-aid", shared) for _ in range(2)]
             + [signed(keys[1], "notary")])
    threading.Thread(target=gate.release_when_waiting, args=(len(batch),)).start()
    answers = post_all(url, server_app, batch)
    assert failed and len(gate.last) > 1 and len(gate.sizes) > 2
    statuses = [status for status, _body in answers]
    assert statuses[:6] == [201] * 6 and sorted(statuses[6:8]) == [200, 201]
    assert statuses[8] == 201
    assert len({body["id"] for _status, body in answers[6:8]}) == 1
    assert count(server_app, Ticket) == 8
    check_numbers_and_feed(server_app)
