"""Writing the ledger: the window console's registration kept as one entry per ticket."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.ledger.models import LedgerEntry
from server.models import User, Window
from server.queue.models import Ticket

TEXT_FIELDS = ("name", "phone", "matter", "process", "result")


def search_text(number: str, fields: dict[str, Any]) -> str:
    """The entry's searchable text: its ticket number and text fields, lower-cased, one a
    line (a word never matches across two fields)."""
    return "\n".join([number, *(str(fields.get(key, "")) for key in TEXT_FIELDS)]).lower()


def keep(session: Session, ticket: Ticket, window: Window, user: User, fields: dict[str, Any],
         now: dt.datetime) -> LedgerEntry:
    """Create or update the ticket's entry from checked fields (not committed): saved again,
    it takes the new text, window, staff member and service; its first time stays."""
    entry = session.scalar(select(LedgerEntry).where(LedgerEntry.ticket_id == ticket.id))
    if entry is None:
        entry = LedgerEntry(hall_id=ticket.hall_id, ticket_id=ticket.id, recorded_at=now)
        session.add(entry)
    entry.day, entry.number, entry.service_id = ticket.day, ticket.number, ticket.service_id
    entry.window_id, entry.staff_id, entry.updated_at = window.id, user.id, now
    for key in TEXT_FIELDS:
        setattr(entry, key, str(fields.get(key, "")))
    entry.search_text = search_text(ticket.number, fields)
    session.flush()
    return entry
