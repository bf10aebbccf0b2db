"""Bookings and slots as the phone page and the terminal see them; personal data masked,
and code guessing limited without telling whether a code exists."""

from __future__ import annotations

from typing import Any

import qrcode
from fastapi import Request
from qrcode.constants import ERROR_CORRECT_M
from sqlalchemy.orm import Session

from protocol.personal import mask_name, mask_phone
from server.appointments.models import BookableService, Booking
from server.appointments.service import open_slots, shown_code
from server.models import RateHit, utcnow
from server.rate_limits import (
    RateLimited,
    admit_anonymous,
    anonymous_limits,
    client_address,
    retry_seconds,
    seconds_until_below,
)
from server.settings import ServerSettings

GUESS = "booking-code"  # the rate-limit action: failed look-ups of a booking code


def booking_view(session: Session, booking: Booking) -> dict[str, Any]:
    """A booking for its visitor: code as shown, phone page path, masked name and phone."""
    service = session.get(BookableService, booking.service_id)
    assert service is not None  # the foreign key
    return {"code": shown_code(booking.code), "path": f"/a/{booking.token}",
            "state": booking.state, "service": service.code, "service_name": service.name,
            "service_name_en": service.name_en, "place": service.place, "day": booking.day,
            "start": booking.start, "end": booking.end, "name": mask_name(booking.name),
            "phone": mask_phone(booking.phone)}


def service_view(session: Session, service: BookableService) -> dict[str, Any]:
    """A bookable service and its coming slots."""
    return {"code": service.code, "name": service.name, "name_en": service.name_en,
            "place": service.place,
            "slots": [{"day": slot.day, "start": slot.start, "end": slot.end,
                       "capacity": slot.capacity, "free": slot.free}
                      for slot in open_slots(session, service)]}


def refuse_while_guessing(request: Request, session: Session, hall_code: str,
                          action: str = GUESS) -> None:
    """RateLimited when too many code look-ups from this client (or for this hall) failed
    lately: then every look-up is refused alike, a real code too, so refusals tell
    nothing about which codes exist."""
    settings: ServerSettings = request.app.state.settings
    now = utcnow()
    wait = max(seconds_until_below(session, RateHit.hit_at, RateHit.bucket == limit.bucket,
                                   limit.limit, limit.window, now)
               for limit in anonymous_limits(settings, action, client_address(request),
                                             hall_code))
    if wait > 0:
        raise RateLimited(retry_seconds(wait))


def count_failed_lookup(request: Request, session: Session, hall_code: str) -> None:
    """Count one failed code look-up (committed); the refusal itself is still answered."""
    session.rollback()
    try:
        admit_anonymous(request, session, GUESS, hall_code)
    except RateLimited:
        pass  # the next look-up is refused by refuse_while_guessing


def qr_svg(data: str) -> str:
    """data as an inline SVG QR code (error correction M), scaled by its container."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    size = len(matrix)
    path = "".join(f"M{x} {y}h1v1h-1z" for y, row in enumerate(matrix)
                   for x, dark in enumerate(row) if dark)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
            f'role="img" aria-label="二维码 QR code" shape-rendering="crispEdges">'
            f'<rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path d="{path}" fill="#000"/></svg>')
