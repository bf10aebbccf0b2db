"""Cases as the console, the terminal and the phone page show them: the console's list
with filters and deadlines, one case with its audit trail, and the visitor's progress
with name and phone masked (张*, 138****5678) and no staff notes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from protocol.personal import mask_name
from server.cases import queries as case_queries
from server.cases import rules as case_rules
from server.cases import steps as case_steps
from server.cases.models import Case, CaseEvent
from server.models import Hall, User, as_utc
from server.ratings.models import FollowUp

PAGE_SIZE = 50
STATE_FILTERS = {"active": ("未办结", "Not closed"), **case_rules.STATES, "": ("全部", "All")}


@dataclass(frozen=True)
class Filters:
    """What the console list is narrowed to; empty means no filter."""

    state: str = "active"
    kind: str = ""
    overdue: bool | None = None
    mine: bool = False
    query: str = ""  # a case code (part of it) or a phone number


def _iso(value: dt.datetime | None) -> str | None:
    utc = as_utc(value)
    return utc.isoformat() if utc else None


def _name(user: User | None) -> str:
    return (user.full_name or user.username) if user is not None else ""


def list_cases(session: Session, user: User, filters: Filters, page: int = 1,
               on: dt.date | None = None) -> tuple[list[dict[str, Any]], int]:
    """One page of the hall's cases (most urgent deadline first) and how many match."""
    conditions = [case_queries.hall_scope(user)]
    if filters.state == "active":
        conditions.append(Case.state != "closed")
    elif filters.state in case_rules.STATES:
        conditions.append(Case.state == filters.state)
    if filters.kind in case_rules.KINDS:
        conditions.append(Case.kind == filters.kind)
    if filters.overdue is True:
        conditions.append(case_rules.overdue_clause(on))
    elif filters.overdue is False:
        conditions.append(~case_rules.overdue_clause(on))
    if filters.mine:
        conditions.append(Case.assignee_id == user.id)
    digits = "".join(ch for ch in filters.query if ch.isdigit())[:12]
    if digits:
        conditions.append(or_(Case.code.startswith(digits), Case.phone.startswith(digits)))
    total = session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0
    rows = session.execute(
        select(Case, User).outerjoin(User, User.id == Case.assignee_id).where(*conditions)
        .order_by(Case.due_on, Case.id).limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)).all()
    day = on or case_rules.today()
    return [{"id": case.id, "code": case_rules.shown_code(case.code), "kind": case.kind,
             "kind_name": case_rules.KINDS[case.kind][0], "state": case.state,
             "state_name": case_rules.STATES[case.state][0], "name": case.name,
             "phone": case.phone, "matter": case.matter, "due_on": case.due_on,
             "overdue": case_rules.is_overdue(case, day), "assignee": _name(assignee),
             "created_at": _iso(case.created_at)} for case, assignee in rows], total


def counts(session: Session, user: User, on: dt.date | None = None) -> dict[str, int]:
    """How many of the hall's cases are in each state, and how many are overdue."""
    result = dict.fromkeys(case_rules.STATES, 0)
    for state, count in session.execute(select(Case.state, func.count()).where(
            case_queries.hall_scope(user)).group_by(Case.state)):
        result[state] = int(count)
    result["overdue"] = session.scalar(select(func.count()).select_from(Case).where(
        case_queries.hall_scope(user), case_rules.overdue_clause(on))) or 0
    return result


def default_message_en(state: str, message: str) -> str:
    """The English of a step's message when it is the default one staff left (an English
    visitor reads it); "" for a message staff wrote."""
    chinese = case_rules.DEFAULT_MESSAGES.get(state)
    english = case_rules.DEFAULT_MESSAGES_EN.get(state)
    if not chinese or not english:
        return ""
    pattern = re.escape(chinese).replace(re.escape("{target}"), "(?P<target>.+)")
    match = re.fullmatch(pattern, message)
    return english.format(**match.groupdict()) if match else ""


def _event_view(event: CaseEvent, staff: bool) -> dict[str, Any]:
    view: dict[str, Any] = {"kind": event.kind, "state": event.state,
            "state_name": case_rules.STATES[event.state][0],
            "state_name_en": case_rules.STATES[event.state][1], "at": _iso(event.at),
            "message": event.message,
            "message_en": default_message_en(event.state, event.message)}
    if staff:
        view |= {"actor": event.actor, "note": event.note, "detail": event.detail}
    return view


def case_view(session: Session, case: Case, user: User) -> dict[str, Any]:
    """One case for staff of its hall: everything, with the audit trail and the steps."""
    hall = session.get(Hall, case.hall_id)
    origin = session.get(Hall, case.origin_hall_id)
    assignee = session.get(User, case.assignee_id) if case.assignee_id else None
    return {"id": case.id, "code": case_rules.shown_code(case.code), "kind": case.kind,
            "kind_name": case_rules.KINDS[case.kind][0], "state": case.state,
            "state_name": case_rules.STATES[case.state][0], "name": case.name,
            "phone": case.phone, "matter": case.matter, "details": case.details,
            "due_on": case.due_on, "overdue": case_rules.is_overdue(case),
            "hall": hall.name if hall else "", "origin_hall": origin.name if origin else "",
            "transferred_to": case.transferred_to, "assignee": _name(assignee),
            "assignee_id": case.assignee_id, "source": case.source,
            "created_at": _iso(case.created_at), "received_at": _iso(case.received_at),
            "events": [_event_view(e, True) for e in case_queries.events(session, case)],
            "steps": case_steps.allowed_steps(case, user), "path": f"/case/{case.token}",
            "followup_id": session.scalar(select(FollowUp.id).where(
                FollowUp.complaint_id == case.complaint_id)) if case.complaint_id else None}


def progress_view(session: Session, case: Case) -> dict[str, Any]:
    """A case as its visitor sees it: code, kind, state, the messages of each step, the
    hall that has it and the deadline; name and phone masked, no staff notes."""
    hall = session.get(Hall, case.hall_id)
    return {"code": case_rules.shown_code(case.code), "kind": case.kind,
            "kind_name": case_rules.KINDS[case.kind][0],
            "kind_name_en": case_rules.KINDS[case.kind][1],
            "state": case.state, "state_name": case_rules.STATES[case.state][0],
            "state_name_en": case_rules.STATES[case.state][1],
            "hall_name": hall.name if hall else "", "name": mask_name(case.name),
            "phone": case_rules.masked_phone(case), "matter": case.matter,
            "due_on": case.due_on if case.state != "closed" else None,
            "path": f"/case/{case.token}",
            "steps": [_event_view(e, False) for e in case_queries.events(session, case)
                      if e.kind != "assigned"]}


def handlers(session: Session, case: Case) -> list[User]:
    """Who a case can be assigned to: the active staff and supervisors of its hall."""
    return list(session.scalars(select(User).where(
        User.hall_id == case.hall_id, User.active.is_(True), User.role.in_(case_rules.HANDLERS))
        .order_by(User.role.desc(), User.username)))
