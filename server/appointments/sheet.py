"""The day's bookings of one hall for its staff and supervisors: per bookable service, its
slots with their bookings (name and phone masked), and counts per state. A booking still
``booked`` once its check-in window has closed (slot end + the service's late minutes) is a
no-show (未到)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.hours import local_now
from protocol.personal import mask_name, mask_phone
from server.appointments.models import BookableService, Booking
from server.appointments.service import _at, shown_code
from server.models import utcnow
from server.queue.models import Ticket

STATES = ("booked", "checked_in", "cancelled", "no_show")
STATE_NAMES = {"booked": ("已预约", "Booked"), "checked_in": ("已签到", "Checked in"),
               "cancelled": ("已取消", "Cancelled"), "no_show": ("未到", "No-show")}


@dataclass(frozen=True)
class BookingRow:
    """One booking as the sheet shows it."""

    start: str
    end: str
    code: str  # shown grouped: 12345-67890
    name: str  # masked
    phone: str  # masked
    matter: str
    state: str  # one of STATES
    ticket: str  # the check-in's ticket number, or ""
    source: str


@dataclass
class ServiceSheet:
    """One bookable service's bookings of the day, by slot, and its counts."""

    code: str
    name: str
    name_en: str
    place: str
    slots: list[tuple[str, str, list[BookingRow]]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))

    @property
    def total(self) -> int:
        """Bookings of the day, cancelled ones included."""
        return sum(self.counts.values())


def _state(booking: Booking, service: BookableService, now: dt.datetime) -> str:
    if booking.state == "booked":
        closes = _at(booking.day, booking.end) + dt.timedelta(minutes=service.late_minutes)
        return "no_show" if now > closes else "booked"
    return booking.state if booking.state in STATES else "booked"


def day_sheet(session: Session, hall_id: int, day: dt.date,
              now: dt.datetime | None = None) -> list[ServiceSheet]:
    """The hall's bookings on day, per service (set-up order, services without bookings
    too while active), slots in time order, bookings by seat then booking time."""
    now = now or utcnow()
    services = list(session.scalars(select(BookableService).where(
        BookableService.hall_id == hall_id).order_by(BookableService.id)))
    rows = session.execute(
        select(Booking, Ticket.number).outerjoin(Ticket, Ticket.id == Booking.ticket_id)
        .where(Booking.hall_id == hall_id, Booking.day == day)
        .order_by(Booking.start, Booking.created_at, Booking.id)).all()
    by_service: dict[int, list[tuple[Booking, str | None]]] = {}
    for found, ticket_number in rows:
        by_service.setdefault(found.service_id, []).append((found, ticket_number))
    sheets = []
    for service in services:
        bookings = by_service.get(service.id, [])
        if not bookings and not service.active:
            continue
        sheet = ServiceSheet(service.code, service.name, service.name_en, service.place)
        slots: dict[tuple[str, str], list[BookingRow]] = {}
        for booking, number in bookings:
            state = _state(booking, service, now)
            sheet.counts[state] += 1
            slots.setdefault((booking.start, booking.end), []).append(BookingRow(
                booking.start, booking.end, shown_code(booking.code), mask_name(booking.name),
                mask_phone(booking.phone), booking.matter, state,
                number if state == "checked_in" and number else "", booking.source))
        sheet.slots = [(start, end, slot_rows)
                       for (start, end), slot_rows in sorted(slots.items())]
        sheets.append(sheet)
    return sheets


def local_today(now: dt.datetime | None = None) -> dt.date:
    """Today in the halls' time (China Standard Time)."""
    return local_now(now or utcnow()).date()
