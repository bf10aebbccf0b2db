"""HTTP helpers for the queue tests: an enrolled terminal's queue client, a staff session."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select

from devtools.staff_client import StaffSession
from kiosk.queue_client import QueueClient
from provisioning.client import TerminalClient
from provisioning.enrol import enrol
from provisioning.identity import TerminalIdentity
from server.fleet.enrolment import create_enrolment_token
from server.models import Hall

__all__ = ["StaffSession", "enrolled_queue_client"]


def enrolled_queue_client(app: FastAPI, url: str, data_dir: Path, hall_code: str = "QX-01",
                          profile: str = "dispenser") -> QueueClient:
    """A terminal enrolled into the hall by token, with its signed queue client."""
    with app.state.database.sessions() as session:
        hall = session.scalar(select(Hall).where(Hall.code == hall_code))
        assert hall is not None
        token, _row = create_enrolment_token(session, hall.id, profile, 1)
    assert enrol(url, data_dir, token).status == "accepted"
    return QueueClient(TerminalClient(url, TerminalIdentity.load_or_create(data_dir)))
