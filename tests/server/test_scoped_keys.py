"""Idempotency keys belong to their sender (issue #12, finding 5): a terminal of hall B
sending hall A's key never receives A's ticket or phone-page token, a complaint key of
another hall never shows that complaint, ratings look keys up per terminal; and the
complaint form never echoes the stored phone number. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Hall, Terminal
from server.queue.issuing import issue_ticket
from server.queue.models import Ticket
from server.ratings.complaints import submit
from server.ratings.models import Complaint, Rating
from server.ratings.rules import rate
from tests.provisioning.live_server import live_server
from tests.server.queue_http import enrolled_queue_client
from tests.server.queue_setup import make_queue_hall

API = "/api/v1"
PHONE = "13912345678"


@pytest.fixture
def two_halls(server_app: FastAPI) -> dict[str, int]:
    """Halls QX-01 (A) and QX-02 (B), each with the queue set-up; their ids."""
    with server_app.state.database.sessions() as session:
        return {code: make_queue_hall(session, code=code).hall.id for code in ("QX-01", "QX-02")}


@pytest.fixture
def url(server_app: FastAPI, two_halls: dict[str, int]) -> Iterator[str]:
    with live_server(server_app) as url:
        yield url


def test_another_halls_terminal_with_a_stolen_ticket_key_gets_its_own_ticket(
        server_app: FastAPI, url: str, tmp_path: Path) -> None:
    hall_a = enrolled_queue_client(server_app, url, tmp_path / "a", "QX-01")
    hall_b = enrolled_queue_client(server_app, url, tmp_path / "b", "QX-02")
    key = "ticket-key-of-hall-a-0001"
    mine = hall_a.take_ticket("legal-aid", key)
    stolen = hall_b.take_ticket("legal-aid", key)
    assert stolen.token != mine.token and stolen.id != mine.id
    assert stolen.hall_name == mine.hall_name  # both halls share the test name; the id tells
    again = hall_b.take_ticket("legal-aid", key)  # B's own retry still lands on B's ticket
    assert (again.id, again.token) == (stolen.id, stolen.token)
    assert hall_a.take_ticket("legal-aid", key).token == mine.token
    with server_app.state.database.sessions() as session:
        halls = {row.id: row.hall_id for row in session.execute(select(Ticket.id, Ticket.hall_id))}
        codes = {row.id: row.code for row in session.execute(select(Hall.id, Hall.code))}
    assert codes[halls[mine.id]] == "QX-01" and codes[halls[stolen.id]] == "QX-02"


def _terminal(session: Session, hall_id: int, name: str) -> Terminal:
    terminal = Terminal(device_id=name * 64, public_key="k", status="accepted",
                        hall_id=hall_id, profile="rater")
    session.add(terminal)
    session.flush()
    return terminal


def test_ticket_and_rating_keys_are_unique_per_terminal_in_the_schema(session: Session) -> None:
    a, b = make_queue_hall(session, code="QX-01"), make_queue_hall(session, code="QX-02")
    one, two = _terminal(session, a.hall.id, "a"), _terminal(session, b.hall.id, "b")
    key = "shared-key-000000001"
    first, _ = issue_ticket(session, a.hall, "legal-aid", actor="t", idempotency_key=key,
                            terminal_id=one.id)
    other, created = issue_ticket(session, b.hall, "legal-aid", actor="t",
                                  idempotency_key=key, terminal_id=two.id)
    assert created and other.id != first.id and other.token != first.token
    rating_a, _ = rate(session, a.hall, level=5, source="pad", idempotency_key=key,
                       terminal_id=one.id)
    rating_b, created = rate(session, b.hall, level=1, source="pad", idempotency_key=key,
                             terminal_id=two.id)
    assert created and rating_b.id != rating_a.id and rating_b.hall_id == b.hall.id
    again, created = rate(session, b.hall, level=3, source="pad", idempotency_key=key,
                          terminal_id=two.id)
    assert not created and again.id == rating_b.id and again.level == 1
    session.commit()
    assert session.scalar(select(func.count()).select_from(Rating)) == 2


def test_a_complaint_key_never_finds_another_halls_complaint(session: Session) -> None:
    a, b = make_queue_hall(session, code="QX-01"), make_queue_hall(session, code="QX-02")
    key = "web-complaint-key-0001"
    theirs, _ = submit(session, a.hall, category="waiting", phone=PHONE, content="排队太久",
                       source="online", idempotency_key=key)
    mine, created = submit(session, b.hall, category="other", content="我的", source="online",
                           idempotency_key=key)
    assert created and mine.id != theirs.id and mine.phone == ""
    terminal, created = submit(session, a.hall, category="other", content="终端",
                               source="terminal", idempotency_key=key)
    assert created and terminal.id != theirs.id
    session.commit()
    assert session.scalar(select(func.count()).select_from(Complaint)) == 3


def test_the_complaint_form_never_shows_a_stored_phone_number(
        server_app: FastAPI, client: TestClient, two_halls: dict[str, int]) -> None:
    key = "web-the-victims-key-0001"
    victim = {"category": "integrity", "phone": PHONE, "content": "窗口索要好处", "key": key}
    sent = client.post("/complain/QX-01", data=victim)
    assert sent.status_code == 200 and "已收到您的投诉" in sent.text
    assert PHONE not in sent.text and "5678" not in sent.text  # not even to its sender
    # The same key from the same hall (a resubmission) lands on the complaint, no phone.
    resent = client.post("/complain/QX-01", data={**victim, "phone": ""})
    assert resent.status_code == 200 and PHONE not in resent.text
    # From another hall, the key is a new complaint: nothing of the first is shown.
    other = client.post("/complain/QX-02", data={"category": "other", "content": "别的",
                                                 "key": key})
    assert other.status_code == 200 and PHONE not in other.text and "已收到" in other.text
    api = client.post(f"{API}/complaints/QX-02", json={"category": "other", "content": "接口",
                                                       "idempotency_key": key})
    # The API and the form are one source of hall B: the same key is that same complaint.
    assert api.status_code == 200 and PHONE not in api.text
    with server_app.state.database.sessions() as session:
        rows = [(row.hall_id, row.phone)
                for row in session.execute(select(Complaint.hall_id, Complaint.phone))]
    assert sorted(rows) == sorted([(two_halls["QX-01"], PHONE), (two_halls["QX-02"], "")])
    ids = re.findall(r'class="reference">(\d+)<', sent.text + other.text)
    assert len(set(ids)) == 2 and str(api.json()["id"]) == ids[1]
