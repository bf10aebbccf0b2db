"""Appointments on the wire: a hall's bookable services and free slots, booking, cancelling
and checking in at the terminal (the reply to a check-in is the ticket, TicketIssued)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from protocol.queue import HallRef, Reply, Request

IDEMPOTENCY_KEY = r"^[A-Za-z0-9_.:-]+$"


class SlotView(Reply):
    """One slot of a bookable service: its day and local times, its seats and how many
    are free."""

    day: dt.date
    start: str
    end: str
    capacity: int
    free: int


class BookableServiceView(Reply):
    """A bookable service (公证, 律师值班咨询, 人民调解, 驻点时间 ...) and its coming slots."""

    code: str
    name: str
    name_en: str = ""
    place: str = ""
    slots: list[SlotView]


class AppointmentServices(Reply):
    """GET /api/v1/appointments/services: the hall's bookable services."""

    hall: HallRef
    services: list[BookableServiceView]


class BookingRequest(Request):
    """POST /api/v1/appointments/bookings: book a slot for a visitor at the terminal."""

    service: str = Field(min_length=1, max_length=40)
    day: dt.date
    start: str = Field(pattern=r"^\d\d:\d\d$")
    name: str = Field(min_length=1, max_length=40)
    phone: str = Field(min_length=1, max_length=30)
    matter: str = Field(min_length=1, max_length=200)


class BookingView(Reply):
    """A booking as its visitor sees it; name and phone masked (张*, 138****5678)."""

    code: str  # as shown, 12345-67890
    path: str  # the phone page (/a/<token>): show it as a QR code
    state: str
    service: str
    service_name: str
    place: str = ""
    day: dt.date
    start: str
    end: str
    name: str
    phone: str


class CancelRequest(Request):
    """POST /api/v1/appointments/cancel: the code and the phone number it was booked with."""

    code: str = Field(min_length=1, max_length=20)
    phone: str = Field(min_length=1, max_length=30)


class CheckInRequest(Request):
    """POST /api/v1/appointments/check-in: 签到 with the code, or the phone number and the
    code; the idempotency key makes a retry return the same ticket."""

    code: str = Field(min_length=1, max_length=20)
    phone: str = Field("", max_length=30)
    idempotency_key: str = Field(min_length=8, max_length=80, pattern=IDEMPOTENCY_KEY)
