"""Two halls with staff and supervisors for the case tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from server.fleet.actions import create_hall
from server.models import Hall, User
from server.security import create_user

PASSWORD = "case-staff-pass-1"
APPLICANT: dict[str, Any] = {"name": "张三", "phone": "+86 138-1234-5678", "matter": "追索劳动报酬"}


@dataclass
class CaseHalls:
    """Hall A (QX-01) and hall B (QX-02), each with a staff member and a supervisor."""

    a: Hall
    b: Hall
    staff_a: User
    boss_a: User
    staff_b: User
    boss_b: User


def make_case_halls(session: Session) -> CaseHalls:
    """Create both halls and their people; commit."""
    a = create_hall(session, "QX-01", "青溪市公共法律服务中心")
    b = create_hall(session, "QX-02", "青溪县公共法律服务中心")
    session.flush()
    halls = CaseHalls(a, b, create_user(session, "case-staff-a", PASSWORD, "staff", "QX-01"),
                      create_user(session, "case-boss-a", PASSWORD, "supervisor", "QX-01"),
                      create_user(session, "case-staff-b", PASSWORD, "staff", "QX-02"),
                      create_user(session, "case-boss-b", PASSWORD, "supervisor", "QX-02"))
    session.commit()
    return halls
