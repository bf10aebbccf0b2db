"""Appointments over real HTTP on SQLite and PostgreSQL: a signed terminal books, checks in
(also through the queue's appointment ticket), cancels; code guessing is limited and,
once limited, a real code is refused alike (no existence oracle)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from kiosk.queue_client import QueueClient, TicketRefused, new_request_key
from protocol.appointments import AppointmentServices, BookingView
from protocol.errors import ServerRefused
from protocol.hours import LOCAL_TIME
from protocol.queue import TicketIssued
from server.appointments import service as appointments
from server.models import Hall
from server.settings import ServerSettings
from tests.provisioning.live_server import live_server
from tests.server.appointment_setup import set_up_bookable
from tests.server.queue_http import enrolled_queue_client
from tests.server.queue_setup import make_queue_hall

ALL_DAY = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
GUESSES = 3


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> ServerSettings:
    return ServerSettings(database_url=database_url, storage_dir=tmp_path / "storage",
                          anonymous_writes_per_address=GUESSES)


@pytest.fixture
def url(server_app: FastAPI) -> Iterator[str]:
    with server_app.state.database.sessions() as session:
        q = make_queue_hall(session)
        set_up_bookable(session, q.hall, [
            {"code": "lawyer", "name": "律师值班咨询", "queue_service": "legal-aid",
             "slots": ALL_DAY, "capacity": 5},
            {"code": "notary", "name": "公证", "queue_service": "notary",
             "slots": {"mon": ["09:00-10:00"]}, "capacity": 1}])
    with live_server(server_app) as url:
        yield url


@pytest.fixture
def terminal(server_app: FastAPI, url: str, tmp_path: Path) -> QueueClient:
    return enrolled_queue_client(server_app, url, tmp_path / "terminal")


def _booked_today(app: FastAPI, phone: str) -> str:
    """A booking of today's all-day slot (booked just before it began); its code."""
    today = dt.datetime.now(LOCAL_TIME).date()
    before = dt.datetime.combine(today, dt.time(0), LOCAL_TIME) - dt.timedelta(minutes=1)
    with app.state.database.sessions() as session:
        hall = session.scalar(select(Hall).where(Hall.code == "QX-01"))
        assert hall is not None
        booking = appointments.book(session, hall, "lawyer", today, "00:00", name="王五",
                                    phone=phone, matter="劳动争议咨询", now=before)
        session.commit()
        return booking.code


def _refusal(run: object) -> str:
    with pytest.raises((ServerRefused, TicketRefused)) as refused:
        run()  # type: ignore[operator]
    error = refused.value
    return error.code if isinstance(error, TicketRefused) else error.message.split(":")[0]


def test_book_check_in_and_cancel_from_the_terminal(server_app: FastAPI,
                                                    terminal: QueueClient) -> None:
    client = terminal.client
    services = client.typed_request("GET", "/api/v1/appointments/services",
                                    AppointmentServices)
    assert [s.code for s in services.services] == ["lawyer", "notary"]
    slot = next(s for s in services.services[0].slots if s.free)
    booked = client.typed_request("POST", "/api/v1/appointments/bookings", BookingView, json={
        "service": "lawyer", "day": slot.day.isoformat(), "start": slot.start,
        "name": "张三", "phone": "138 1234 5678", "matter": "咨询"})
    assert (booked.name, booked.phone, booked.state) == ("张*", "138****5678", "booked")
    assert booked.path.startswith("/a/") and len(booked.code) == 11
    assert _refusal(lambda: client.typed_request(  # the right code, another phone
        "POST", "/api/v1/appointments/cancel", BookingView,
        json={"code": booked.code, "phone": "13900000000"})) == "not_found"
    cancelled = client.typed_request("POST", "/api/v1/appointments/cancel", BookingView,
                                     json={"code": booked.code, "phone": "+8613812345678"})
    assert cancelled.state == "cancelled"

    code = _booked_today(server_app, "13700001111")
    walk_in = terminal.take_ticket("legal-aid", new_request_key())
    key = new_request_key()
    ticket = terminal.take_ticket("legal-aid", key, "appointment", code.lower())
    assert ticket.priority == "appointment" and ticket.people_ahead == 0
    assert terminal.take_ticket("legal-aid", key, "appointment", code).id == ticket.id  # retry
    assert _refusal(lambda: terminal.take_ticket("legal-aid", new_request_key(), "appointment",
                                                 code)) == "used"
    assert walk_in.priority == "normal"
    other = _booked_today(server_app, "13700002222")
    checked = client.typed_request("POST", "/api/v1/appointments/check-in", TicketIssued, json={
        "code": other, "phone": "137-0000-2222", "idempotency_key": new_request_key()})
    assert checked.priority == "appointment"


def test_guessing_is_limited_and_then_every_code_is_refused_alike(
        server_app: FastAPI, terminal: QueueClient) -> None:
    real = _booked_today(server_app, "13700003333")
    for guess in ("ABCD2345", "2345-6789", "12"):
        assert _refusal(lambda g=guess: terminal.take_ticket(  # type: ignore[misc]
            "legal-aid", new_request_key(), "appointment", g)) == "not_found"
    with pytest.raises(TicketRefused) as limited:
        terminal.take_ticket("legal-aid", new_request_key(), "appointment", real)
    assert (limited.value.code, limited.value.status) == ("rate_limited", 429)
    with pytest.raises(ServerRefused) as cancel_limited:
        terminal.client.request("POST", "/api/v1/appointments/cancel",
                                json={"code": real, "phone": "13700003333"})
    assert cancel_limited.value.status == 429
