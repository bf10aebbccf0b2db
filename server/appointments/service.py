"""Booking, cancelling and checking in.

Slots come from a bookable service's weekly table (``{"mon": ["09:00-10:00", ...]}``, one
range per slot) on the days the working-day calendar keeps open: a holiday (off) has no
slots; an adjusted working weekend day (调休上班) follows Monday's table.

Seats: a booking takes the lowest free seat of its slot, its service's row locked (on
SQLite the writer lock). (service, day, start, seat) is unique besides, so should two
bookings ever race for one seat, one insert fails on every database and that booking
looks again (and finds the slot full). Check-in locks the booking's row, so a
code is used once however many terminals try it at the same moment.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from protocol.hours import LOCAL_TIME, WEEKDAYS, day_ranges, local_now
from protocol.personal import mask_phone
from protocol.phone import normalize_phone
from server.appointments.errors import AppointmentError
from server.appointments.models import BookableService, Booking
from server.models import Hall, utcnow
from server.queue.core import begin_write
from server.queue.issuing import issue_ticket, keyed_ticket
from server.queue.models import Ticket
from server.ratings.models import CalendarDay

log = logging.getLogger(__name__)
# Readable (no 0/O, 1/I/L) and unguessable: 31**8, about 8.5e11 codes, and guessing is
# rate-limited. Shown as ABCD-EFGH; typed with or without the dash, in either case.
# Digits only: a visitor types it on the terminal's number keypad and reads it out on the
# phone; 10 digits (10^10 codes), valid for one day in one hall, guessing rate-limited.
CODE_ALPHABET = "0123456789"
CODE_LENGTH = 10
CODE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
LIVE = "booked"


@dataclass(frozen=True)
class Slot:
    """One slot of a bookable service on a day, with its free seats."""

    day: dt.date
    start: str
    end: str
    capacity: int
    taken: int

    @property
    def free(self) -> int:
        """Seats still free."""
        return max(0, self.capacity - self.taken)


def new_code() -> str:
    """A fresh booking code (CODE_LENGTH characters of CODE_ALPHABET)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """A code as people read it: 12345-67890."""
    return f"{code[:5]}-{code[5:]}"


def typed_code(text: str) -> str | None:
    """A code as typed (dashes, spaces, lower case) in its stored form; None if it cannot
    be one."""
    code = re.sub(r"[\s\-]", "", text).upper()
    return code if CODE.match(code) else None


def _calendar(session: Session, first: dt.date, last: dt.date) -> dict[dt.date, bool]:
    rows = session.execute(select(CalendarDay.day, CalendarDay.off).where(
        CalendarDay.day >= first, CalendarDay.day <= last))
    return {day: off for day, off in rows}


def day_table(service: BookableService, day: dt.date, calendar: dict[dt.date, bool]
              ) -> list[tuple[str, str]]:
    """The service's slots on day as (start, end) HH:MM, by its table and the calendar."""
    if calendar.get(day) is True:
        return []
    weekday = WEEKDAYS[day.weekday()]
    if calendar.get(day) is False and day.weekday() >= 5:
        weekday = "mon"  # 调休上班
    return [(start.strftime("%H:%M"), "24:00" if end == dt.time.max else end.strftime("%H:%M"))
            for start, end in day_ranges(service.slots.get(weekday, []))]


def _at(day: dt.date, hhmm: str) -> dt.datetime:
    if hhmm == "24:00":
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), LOCAL_TIME)
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), LOCAL_TIME)


def bookable(session: Session, hall: Hall, code: str) -> BookableService:
    """The hall's active bookable service with this code."""
    service = session.scalar(select(BookableService).where(
        BookableService.hall_id == hall.id, BookableService.code == code[:40],
        BookableService.active.is_(True)))
    if service is None:
        raise AppointmentError("unknown_service", code[:40])
    return service


def hall_services(session: Session, hall: Hall) -> list[BookableService]:
    """The hall's active bookable services in set-up order."""
    return list(session.scalars(select(BookableService).where(
        BookableService.hall_id == hall.id, BookableService.active.is_(True))
        .order_by(BookableService.id)))


def open_slots(session: Session, service: BookableService, now: dt.datetime | None = None
               ) -> list[Slot]:
    """The service's slots from now to days_ahead days on, with their seats taken."""
    local = local_now(now or utcnow())
    first = local.date()
    last = first + dt.timedelta(days=service.days_ahead)
    calendar = _calendar(session, first, last)
    taken = Counter({(day, start): count for day, start, count in session.execute(
        select(Booking.day, Booking.start, func.count()).where(
            Booking.service_id == service.id, Booking.day >= first, Booking.day <= last,
            Booking.seat.is_not(None)).group_by(Booking.day, Booking.start))})
    slots = []
    for offset in range(service.days_ahead + 1):
        day = first + dt.timedelta(days=offset)
        for start, end in day_table(service, day, calendar):
            if _at(day, start) > local:
                slots.append(Slot(day, start, end, service.capacity, taken[(day, start)]))
    return slots


def _visitor(name: str, phone: str, matter: str) -> tuple[str, str, str]:
    name, matter = name.strip(), matter.strip()
    if not name or len(name) > 40:
        raise AppointmentError("bad_name")
    number = normalize_phone(phone)
    if number is None:
        raise AppointmentError("bad_phone")
    if not matter or len(matter) > 200:
        raise AppointmentError("bad_matter")
    return name, number, matter


def book(session: Session, hall: Hall, service_code: str, day: dt.date, start: str, *,
         name: str, phone: str, matter: str, source: str = "phone",
         now: dt.datetime | None = None) -> Booking:
    """Book one seat of a slot (flushed, not committed) or raise AppointmentError."""
    now = now or utcnow()
    service = bookable(session, hall, service_code)
    name, number, matter = _visitor(name, phone, matter)
    today = local_now(now).date()
    if not today <= day <= today + dt.timedelta(days=service.days_ahead):
        raise AppointmentError("no_such_slot")
    table = dict(day_table(service, day, _calendar(session, day, day)))
    if start not in table or _at(day, start) <= local_now(now):
        raise AppointmentError("no_such_slot")
    begin_write(session)
    # Bookings of one service take turns (the row lock; SQLite's writer lock already does):
    # without it, racing bookings on PostgreSQL all try the same lowest seat and retry.
    session.execute(select(BookableService.id).where(BookableService.id == service.id)
                    .with_for_update())
    if session.scalar(select(Booking.id).where(
            Booking.service_id == service.id, Booking.day == day, Booking.phone == number,
            Booking.state == LIVE)) is not None:
        raise AppointmentError("already_booked")
    while True:  # each failed insert means another booking took a seat: at most capacity
        taken = set(session.scalars(select(Booking.seat).where(
            Booking.service_id == service.id, Booking.day == day, Booking.start == start,
            Booking.seat.is_not(None))))
        free = [seat for seat in range(1, service.capacity + 1) if seat not in taken]
        if not free:
            raise AppointmentError("slot_full")
        booking = Booking(hall_id=hall.id, service_id=service.id, day=day, start=start,
                          end=table[start], seat=free[0], code=new_code(),
                          token=secrets.token_urlsafe(18), name=name, phone=number,
                          matter=matter, state=LIVE, source=source, created_at=now)
        try:
            with session.begin_nested():
                session.add(booking)
        except IntegrityError:
            continue
        log.info("hall %s: booked %s %s %s seat %d for %s", hall.code, service.code, day,
                 start, booking.seat, mask_phone(number))
        return booking


def by_token(session: Session, token: str) -> Booking | None:
    """The booking a phone page's address names, if any."""
    if not 10 <= len(token) <= 40:
        return None
    return session.scalar(select(Booking).where(Booking.token == token))


def by_code(session: Session, code: str, phone: str = "", *, lock: bool = False
            ) -> Booking:
    """The booking with this code (and phone number, when one is given); not_found alike
    for a code that does not exist and for one with another phone number."""
    stored = typed_code(code)
    if stored is None:
        raise AppointmentError("not_found")
    query = select(Booking).where(Booking.code == stored)
    booking = session.scalar(query.with_for_update() if lock else query)
    if booking is None or (phone and normalize_phone(phone) != booking.phone):
        raise AppointmentError("not_found")
    return booking


def cancel(session: Session, booking: Booking, now: dt.datetime | None = None) -> None:
    """Cancel a live booking before its slot ends; its seat is free again."""
    now = now or utcnow()
    if booking.state == "cancelled":
        return
    if booking.state != LIVE or _at(booking.day, booking.end) <= now:
        raise AppointmentError("not_cancellable")
    booking.state, booking.seat, booking.cancelled_at = "cancelled", None, now
    session.flush()


def check_in(session: Session, hall: Hall, code: str, *, phone: str = "", actor: str,
             idempotency_key: str | None = None, terminal_id: int | None = None,
             now: dt.datetime | None = None) -> tuple[Ticket, bool]:
    """签到: verify the booking (this hall, today, within its window, not used) and issue
    its priority ticket (flushed, not committed); the ticket a retried key already took."""
    now = now or utcnow()
    if idempotency_key:
        existing = keyed_ticket(session, terminal_id, idempotency_key)
        if existing is not None:
            return existing, False
    begin_write(session)
    booking = by_code(session, code, phone, lock=True)
    if booking.hall_id != hall.id:
        other = session.get(Hall, booking.hall_id)
        raise AppointmentError("other_hall", hall=other.name if other else "")
    if booking.state == "cancelled":
        raise AppointmentError("cancelled")
    if booking.state != LIVE:
        raise AppointmentError("used")
    service = session.get(BookableService, booking.service_id)
    assert service is not None  # the foreign key
    opens = _at(booking.day, booking.start) - dt.timedelta(minutes=service.early_minutes)
    closes = _at(booking.day, booking.end) + dt.timedelta(minutes=service.late_minutes)
    shown = {"day": booking.day.isoformat(), "start": booking.start, "end": booking.end}
    if now > closes:
        raise AppointmentError("expired", **shown)
    if now < opens:
        if booking.day != local_now(now).date():
            raise AppointmentError("not_today", **shown)
        raise AppointmentError("too_early", opens=local_now(opens).strftime("%H:%M"), **shown)
    ticket, created = issue_ticket(
        session, hall, service.queue_service, actor=actor, now=now, priority="appointment",
        appointment_code=booking.code, idempotency_key=idempotency_key,
        terminal_id=terminal_id, booking_checked=True)
    booking.state, booking.checked_in_at, booking.ticket_id = "checked_in", now, ticket.id
    session.flush()
    log.info("hall %s: booking %s checked in as %s", hall.code, service.code, ticket.number)
    return ticket, created
