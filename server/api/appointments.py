"""The appointments API for terminals: the hall's bookable services and free slots, booking
and cancelling for a visitor, and 签到 (check-in) that issues the priority ticket; and the
supervisor's set-up of the hall's bookable services.

Refusals are JSON ``{"error", "message", "message_en"}``. Failed code look-ups (check-in,
cancel) are counted per client and per hall; past the limit every look-up is refused
with 429, a real code too.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response
from sqlalchemy.orm import Session

from protocol.appointments import (
    AppointmentServices,
    BookableServiceView,
    BookingRequest,
    BookingView,
    CancelRequest,
    CheckInRequest,
)
from protocol.queue import HallRef, QueueRefusal, TicketIssued
from server.appointments import service as appointments
from server.appointments.errors import AppointmentError
from server.appointments.setup import apply_bookable, parse_setup
from server.appointments.views import (
    booking_view,
    count_failed_lookup,
    refuse_while_guessing,
    service_view,
)
from server.deps import get_session
from server.models import Hall, Terminal, User
from server.queue.errors import QueueError
from server.queue.views import ticket_view
from server.security import require_role
from server.terminal_auth import current_terminal

log = logging.getLogger(__name__)
router = APIRouter(prefix="/appointments", tags=["appointments"])
DbSession = Annotated[Session, Depends(get_session)]
SignedTerminal = Annotated[Terminal, Depends(current_terminal)]
Supervisor = Annotated[User, Depends(require_role("supervisor"))]
REFUSED: dict[int | str, dict[str, Any]] = {
    status: {"model": QueueRefusal, "description": description} for status, description
    in ((403, "no hall"), (404, "unknown service or booking"),
        (409, "full, used, cancelled, expired, another hall's, not yet"),
        (422, "malformed"), (429, "too many failed code look-ups"))}
LOOKUP_FAILURES = ("not_found",)  # what counts as a guess


def _hall_of(session: Session, member: Terminal | User) -> Hall:
    hall = session.get(Hall, member.hall_id) if member.hall_id else None
    if hall is None:
        raise QueueError("no_hall")
    return hall


def hall_services_view(session: Session, hall: Hall) -> AppointmentServices:
    """The hall's bookable services with their coming slots."""
    return AppointmentServices(
        hall=HallRef(code=hall.code, name=hall.name),
        services=[BookableServiceView.model_validate(service_view(session, service))
                  for service in appointments.hall_services(session, hall)])


@router.get("/services", responses=REFUSED)
def services(session: DbSession, terminal: SignedTerminal) -> AppointmentServices:
    """The hall's bookable services and their slots with free seats."""
    return hall_services_view(session, _hall_of(session, terminal))


@router.post("/bookings", status_code=201, responses=REFUSED)
def book(body: BookingRequest, session: DbSession, terminal: SignedTerminal) -> BookingView:
    """Book a slot for the visitor at the terminal; the reply carries the code and the
    phone page's path (for the QR code)."""
    hall = _hall_of(session, terminal)
    try:
        booking = appointments.book(session, hall, body.service, body.day, body.start,
                                    name=body.name, phone=body.phone, matter=body.matter,
                                    source="terminal")
        session.commit()
    except AppointmentError:
        session.rollback()
        raise
    return BookingView.model_validate(booking_view(session, booking))


@router.post("/cancel", responses=REFUSED)
def cancel(body: CancelRequest, request: Request, session: DbSession,
           terminal: SignedTerminal) -> BookingView:
    """Cancel with the code and the phone number it was booked with."""
    hall = _hall_of(session, terminal)
    refuse_while_guessing(request, session, hall.code)
    try:
        booking = appointments.by_code(session, body.code, body.phone, lock=True)
        appointments.cancel(session, booking)
        session.commit()
    except AppointmentError as exc:
        if exc.code in LOOKUP_FAILURES:
            count_failed_lookup(request, session, hall.code)
        session.rollback()
        raise
    return BookingView.model_validate(booking_view(session, booking))


@router.post("/check-in", status_code=201, responses={
    200: {"model": TicketIssued, "description": "the ticket this idempotency key took"},
    **REFUSED})
def check_in(body: CheckInRequest, request: Request, response: Response, session: DbSession,
             terminal: SignedTerminal) -> TicketIssued:
    """签到: the booking is verified (this hall, today, in its window, not used) and its
    priority ticket issued."""
    hall = _hall_of(session, terminal)
    return check_in_ticket(request, response, session, terminal, hall, body.code, body.phone,
                           body.idempotency_key)


def check_in_ticket(request: Request, response: Response, session: Session,
                    terminal: Terminal, hall: Hall, code: str, phone: str,
                    idempotency_key: str) -> TicketIssued:
    """Check a booking in at terminal and answer with its ticket (also the queue API's
    answer to a ticket asked for with appointment priority)."""
    refuse_while_guessing(request, session, hall.code)
    try:
        ticket, created = appointments.check_in(
            session, hall, code, phone=phone, actor=f"terminal:{terminal.device_id[:12]}",
            idempotency_key=idempotency_key, terminal_id=terminal.id)
        session.commit()
    except AppointmentError as exc:
        if exc.code in LOOKUP_FAILURES:
            count_failed_lookup(request, session, hall.code)
        session.rollback()
        log.info("hall %s: check-in refused: %s", hall.code, exc.code)
        raise
    except QueueError:
        session.rollback()
        raise
    if not created:
        response.status_code = 200
    return TicketIssued.model_validate({**ticket_view(session, ticket, private=True),
                                        "hall_name": hall.name})


@router.put("/setup", responses=REFUSED)
def setup(items: Annotated[list[dict[str, Any]], Body(max_length=100)], session: DbSession,
          user: Supervisor) -> AppointmentServices:
    """Replace the hall's bookable services (slots per weekday, seats per slot, the queue
    service a check-in issues a ticket for)."""
    hall = _hall_of(session, user)
    try:
        apply_bookable(session, hall, parse_setup(items))
        session.commit()
    except AppointmentError:
        session.rollback()
        raise
    return hall_services_view(session, hall)
