"""A hall with a queue set-up and signed-in staff, shared by the queue tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.fleet.actions import create_hall
from server.models import Hall, User, Window
from server.queue.actions import sign_in
from server.queue.setup import apply_setup, load_setup
from server.security import create_user

SETUP = {
    "services": [
        {"code": "legal-aid", "name": "法律援助", "name_en": "Legal aid", "prefix": "A"},
        {"code": "notary", "name": "公证", "name_en": "Notarization", "prefix": "B",
         "daily_cap": 3},
        {"code": "mediation", "name": "人民调解", "name_en": "Mediation", "prefix": "C",
         "hours": {"mon": ["09:00-12:00"]}},
    ],
    "windows": [
        {"number": 1, "name": "法律援助窗口", "services": ["legal-aid"]},
        {"number": 2, "name": "综合窗口", "services": ["legal-aid", "notary"]},
        {"number": 3, "name": "公证窗口", "services": ["notary"]},
        {"number": 4, "name": "调解窗口", "services": ["mediation"]},
    ],
}
PASSWORD = "window-staff-pass"


@dataclass
class QueueHall:
    """The hall, its windows by number and one signed-in staff member per window."""

    hall: Hall
    windows: dict[int, Window]
    staff: dict[int, User]


def make_queue_hall(session: Session, setup: dict | None = None, code: str = "QX-01",
                    sign_in_all: bool = True) -> QueueHall:
    """Create the hall, apply the set-up, create staff and sign each in to a window."""
    hall = create_hall(session, code, "青溪市公共法律服务中心")
    apply_setup(session, hall, load_setup(setup or SETUP))
    windows = {w.number: w for w in hall.windows}
    staff = {}
    for number, window in windows.items():
        staff[number] = create_user(session, f"staff{number}-{code}", PASSWORD, "staff", code)
        if sign_in_all:
            sign_in(session, window.id, staff[number])
    session.commit()
    return QueueHall(hall, windows, staff)
