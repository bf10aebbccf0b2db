"""Ratings and complaints that terminals deliver through their outbox.

The outbox receipt and what it carries are written in one transaction, so an item is
applied exactly once however often the terminal resends it. An item the rules refuse
(the ticket was meanwhile rated on the visitor's phone, a malformed payload) keeps its
receipt, so the terminal stops resending it, and the refusal is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.feedback import ComplaintItem, RatingItem, acted_at
from server.models import Hall, Terminal, utcnow
from server.queue.models import Ticket
from server.ratings.comments import bind_rating
from server.ratings.complaints import submit
from server.ratings.rules import (
    DEFAULT_FOLLOW_UP_DAYS,
    NATIONAL_REASONS,
    CodedError,
    RatingError,
    RatingReasons,
    rate,
)

log = logging.getLogger(__name__)
KINDS = ("rating", "complaint")


def _ticket(session: Session, hall: Hall, item: RatingItem) -> Ticket | None:
    """The rated ticket: by server id (the pad heard it finish) or by number and day."""
    if item.ticket is not None:
        ticket = session.get(Ticket, item.ticket)
    elif item.ticket_number:
        ticket = session.scalar(select(Ticket).where(
            Ticket.hall_id == hall.id, Ticket.day == item.day,
            Ticket.number == item.ticket_number.strip().upper()))
    else:
        return None
    if ticket is None or ticket.hall_id != hall.id:
        raise RatingError("unknown_ticket")
    return ticket


def claimed_time(value: Any) -> dt.datetime | None:
    """A time a terminal claims (ISO 8601 text), None when missing or unreadable: the
    item then counts from its delivery rather than being refused."""
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        log.warning("unreadable time %r from a terminal; the delivery time is taken", value)
        return None


def apply(session: Session, terminal: Terminal, key: str, kind: str, payload: dict[str, Any],
          follow_up_days: int = DEFAULT_FOLLOW_UP_DAYS,
          offered: RatingReasons = NATIONAL_REASONS, received: dt.datetime | None = None,
          queued: dt.datetime | None = None) -> str:
    """Store what one outbox item carries (not committed); returns "stored", "refused: code"
    or "ignored" for kinds that carry nothing to store (usage events).

    The time kept is the visitor's (rated_at, at; else when the terminal queued the item),
    bounded by protocol.feedback.acted_at against the delivery time `received` (default
    now) and, for a rating, the rated ticket's issue."""
    if kind not in KINDS:
        return "ignored"
    received = received or utcnow()
    hall = session.get(Hall, terminal.hall_id) if terminal.hall_id else None
    try:
        if hall is None:
            raise RatingError("unknown_ticket")
        if kind == "rating":
            given = RatingItem.model_validate(payload)  # bounded ids and texts, or refused
            ticket = _ticket(session, hall, given)
            at = acted_at(given.rated_at or queued, received,
                          ticket.issued_at if ticket is not None else None)
            rating, created = rate(
                session, hall, level=given.level, reasons=given.reasons, comment=given.comment,
                source=given.source, ticket=ticket, idempotency_key=key,
                terminal_id=terminal.id, follow_up_days=follow_up_days, offered=offered,
                at=at, received_at=received)
            if created and given.comment_token:  # a comment may follow by QR code
                bind_rating(session, rating, given.comment_token, terminal.id)
        else:
            complaint = ComplaintItem.model_validate(payload)
            submit(session, hall, category=complaint.category, phone=complaint.phone,
                   content=complaint.content, source="terminal", idempotency_key=key,
                   terminal_id=terminal.id, follow_up_days=follow_up_days, received_at=received,
                   at=acted_at(complaint.at or queued, received))
    except CodedError as error:  # RatingError, ComplaintError
        log.warning("terminal %s %s %s refused: %s", terminal.id, kind, key, error)
        return f"refused: {error.code}"
    except (KeyError, TypeError, ValueError) as error:
        log.warning("terminal %s %s %s malformed: %r", terminal.id, kind, key, error)
        return "refused: malformed"
    return "stored"
