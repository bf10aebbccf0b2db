"""Bookable services for the appointment tests, on the queue tests' hall."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from server.appointments.setup import apply_bookable, parse_setup
from server.models import Hall

UTC = dt.UTC
MONDAY_0900 = dt.datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 09:00 in the hall (CST)
MONDAY = dt.date(2026, 12, 7)
WEEKDAY_SLOTS = {day: ["09:00-10:00", "10:00-11:00", "14:00-15:00"]
                 for day in ("mon", "tue", "wed", "thu", "fri")}
BOOKABLE = [
    {"code": "notary", "name": "公证", "name_en": "Notarization", "queue_service": "notary",
     "slots": WEEKDAY_SLOTS, "capacity": 2, "early_minutes": 30, "late_minutes": 15},
    {"code": "lawyer", "name": "律师值班咨询", "queue_service": "legal-aid",
     "slots": WEEKDAY_SLOTS, "capacity": 3},
    {"code": "adviser-qingxi", "name": "村（居）法律顾问驻点", "place": "青溪村服务点",
     "queue_service": "legal-aid", "slots": {"wed": ["14:00-16:00"]}, "capacity": 4},
]


def set_up_bookable(session: Session, hall: Hall, items: list[dict] | None = None) -> None:
    """Apply the bookable services to hall and commit."""
    apply_bookable(session, hall, parse_setup(items or BOOKABLE))
    session.commit()
