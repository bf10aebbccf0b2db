"""Cases looked up: by id within the staff member's hall, by code (and phone), by the phone
page's token; and a case's audit trail.

Staff see the cases of their own hall only (an integrity complaint's case: its
supervisors only); a case of another hall is "not found", not even shown to exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from protocol.phone import normalize_phone
from server.cases.errors import CaseError
from server.cases.models import Case, CaseEvent
from server.cases.rules import TOKEN, typed_code
from server.models import User


def load(session: Session, case_id: int, user: User, *, lock: bool = False) -> Case:
    """A case of the user's hall (locked for update when lock), else not_found: staff of
    another hall see nothing, not even that it exists."""
    query = select(Case).where(Case.id == case_id)
    case = session.scalar(query.with_for_update() if lock else query)
    if case is None or user.hall_id is None or case.hall_id != user.hall_id or (
            case.supervisors_only and user.role != "supervisor"):
        raise CaseError("not_found")
    return case


def hall_scope(user: User) -> ColumnElement[bool]:
    """SQL condition: the cases a user may see (their hall's; an integrity complaint only
    if a supervisor)."""
    in_hall = Case.hall_id == (user.hall_id if user.hall_id is not None else -1)
    return in_hall if user.role == "supervisor" else and_(in_hall,
                                                          Case.supervisors_only.is_(False))


def lookup(session: Session, code: str, phone: str = "") -> Case:
    """The case with this code (and this phone number, when one is given): not_found alike
    for a code that does not exist and for one with another phone number."""
    stored = typed_code(code)
    if stored is None:
        raise CaseError("not_found")
    case = session.scalar(select(Case).where(Case.code == stored))
    if case is None or (phone and normalize_phone(phone) != case.phone):
        raise CaseError("not_found")
    return case


def by_token(session: Session, token: str) -> Case | None:
    """The case a phone page's address names, if any."""
    if not TOKEN.match(token):
        return None
    return session.scalar(select(Case).where(Case.token == token))


def events(session: Session, case: Case) -> list[CaseEvent]:
    """The case's steps in the order they were taken."""
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                .order_by(CaseEvent.id)))
