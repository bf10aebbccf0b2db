"""Follow-up work items as the API and the pages show them: lists with filters, one item
with its rating or complaint, ticket, service, window, staff and audit trail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from protocol.personal import mask_phone
from server.models import Service, User, Window, as_utc
from server.queue.models import Ticket
from server.ratings.complaints import CATEGORIES
from server.ratings.models import Complaint, FollowUp, FollowUpEvent, Rating
from server.ratings.rules import LEVELS
from server.ratings.workflow import (
    DECISIONS,
    EVENTS,
    KINDS,
    STATES,
    allowed_steps,
    is_overdue,
    is_supervisors_only,
    overdue_clause,
    supervisors_only,
    today,
)

PAGE_SIZE = 50
STATE_FILTERS = (*STATES, "active")  # active: every state but closed


@dataclass(frozen=True)
class Filters:
    """What a list is narrowed to; None means no filter."""

    state: str | None = None
    kind: str | None = None
    overdue: bool | None = None


def _iso(value: dt.datetime | None) -> str | None:
    utc = as_utc(value)
    return utc.isoformat() if utc else None


def person(user: User | None) -> dict[str, Any] | None:
    """A staff member or supervisor as shown: name (or username), number, id."""
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "name": user.full_name or user.username,
            "staff_no": user.staff_no}


def _scope(user: User) -> ColumnElement[bool]:
    """Supervisors see their hall; staff the items assigned to them or about them, never an
    integrity complaint."""
    hall = FollowUp.hall_id == user.hall_id
    if user.role == "supervisor":
        return hall
    return and_(hall, or_(FollowUp.assignee_id == user.id, FollowUp.staff_id == user.id),
                ~supervisors_only())


def _conditions(user: User, filters: Filters, on: dt.date) -> list[ColumnElement[bool]]:
    conditions = [_scope(user)]
    if filters.state == "active":
        conditions.append(FollowUp.state != "closed")
    elif filters.state:
        conditions.append(FollowUp.state == filters.state)
    if filters.kind:
        conditions.append(FollowUp.kind == filters.kind)
    if filters.overdue is not None:
        clause = overdue_clause(on)
        conditions.append(clause if filters.overdue else ~clause)
    return conditions


def counts(session: Session, user: User, on: dt.date | None = None) -> dict[str, int]:
    """How many of the user's items are in each state, and how many are overdue."""
    on = on or today()
    rows = session.execute(select(FollowUp.state, func.count()).where(_scope(user))
                           .group_by(FollowUp.state))
    result = {state: 0 for state in STATES} | {state: number for state, number in rows}
    result["overdue"] = session.scalar(select(func.count()).select_from(FollowUp).where(
        _scope(user), overdue_clause(on))) or 0
    return result


def _users(session: Session, ids: set[int | None]) -> dict[int, User]:
    wanted = {user_id for user_id in ids if user_id is not None}
    if not wanted:
        return {}
    return {user.id: user for user in session.scalars(select(User).where(User.id.in_(wanted)))}


def list_items(session: Session, user: User, filters: Filters, page: int = 1,
               on: dt.date | None = None) -> tuple[list[dict[str, Any]], int]:
    """One page of the user's items (open ones first, earliest due first) and the total."""
    on = on or today()
    conditions = _conditions(user, filters, on)
    total = session.scalar(select(func.count()).select_from(FollowUp).where(*conditions)) or 0
    items = list(session.scalars(
        select(FollowUp).where(*conditions)
        .order_by((FollowUp.state == "closed").asc(), FollowUp.due_on, FollowUp.id.desc())
        .offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    ratings = {r.id: r for r in session.scalars(select(Rating).where(
        Rating.id.in_([i.rating_id for i in items if i.rating_id])))} if items else {}
    complaints = {c.id: c for c in session.scalars(select(Complaint).where(
        Complaint.id.in_([i.complaint_id for i in items if i.complaint_id])))} if items else {}
    tickets = {t.id: t.number for t in session.scalars(select(Ticket).where(
        Ticket.id.in_([r.ticket_id for r in ratings.values() if r.ticket_id])))} if ratings else {}
    windows = {w.id: w.number for w in session.scalars(select(Window).where(
        Window.id.in_([i.window_id for i in items if i.window_id])))} if items else {}
    people = _users(session, {i.staff_id for i in items} | {i.assignee_id for i in items})
    rows = []
    for item in items:
        rating = ratings.get(item.rating_id or 0)
        complaint = complaints.get(item.complaint_id or 0)
        if rating is not None:
            subject = LEVELS[rating.level]
            summary = "、".join(rating.reasons) or rating.comment
        elif complaint is not None:
            subject = CATEGORIES.get(complaint.category, ("其他",))[0]
            summary = complaint.content
        else:
            subject, summary = "", ""
        rows.append({
            "id": item.id, "kind": item.kind, "kind_name": KINDS[item.kind],
            "state": item.state, "state_name": STATES[item.state],
            "due_on": item.due_on.isoformat(), "overdue": is_overdue(item, on),
            "created_at": _iso(item.created_at), "subject": subject,
            "level": rating.level if rating else None,
            "summary": summary[:80] + ("…" if len(summary) > 80 else ""),
            "ticket": tickets.get(rating.ticket_id or 0) if rating else None,
            "window": windows.get(item.window_id or 0),
            "staff": person(people.get(item.staff_id or 0)),
            "assignee": person(people.get(item.assignee_id or 0)),
            "appeal_decision": item.appeal_decision})
    return rows, total


def _rating_view(session: Session, rating: Rating) -> dict[str, Any]:
    ticket = session.get(Ticket, rating.ticket_id) if rating.ticket_id else None
    service = session.get(Service, rating.service_id) if rating.service_id else None
    window = session.get(Window, rating.window_id) if rating.window_id else None
    return {"id": rating.id, "level": rating.level, "level_name": LEVELS[rating.level],
            "reasons": list(rating.reasons), "comment": rating.comment, "source": rating.source,
            "created_at": _iso(rating.created_at),
            "ticket": {"number": ticket.number, "day": ticket.day} if ticket else None,
            "service": service.name if service else None,
            "window": {"number": window.number, "name": window.name} if window else None,
            "staff": person(session.get(User, rating.staff_id) if rating.staff_id else None)}


def masked_phone(phone: str) -> str:
    """A phone number with its middle hidden (138****5678); "" stays ""."""
    return mask_phone(phone) if phone else ""


def _complaint_view(complaint: Complaint, user: User) -> dict[str, Any]:
    # Only supervisors call back: everyone else who handles a complaint sees the number masked.
    phone = complaint.phone if user.role == "supervisor" else masked_phone(complaint.phone)
    return {"id": complaint.id, "category": complaint.category,
            "category_name": CATEGORIES.get(complaint.category, ("其他",))[0],
            "kind": complaint.kind, "phone": phone, "content": complaint.content,
            "source": complaint.source, "created_at": _iso(complaint.created_at)}


ACTORS = {"system": "系统", "visitor": "群众"}  # actors that are no account


def actor_names(session: Session, actors: set[str]) -> dict[str, str]:
    """Who did a step, as people know them: the account's full name (its username when it
    has none) for each actor (a username, or ``user:<username>`` as queue events write)."""
    usernames = {actor.removeprefix("user:") for actor in actors if actor not in ACTORS}
    names = {user.username: user.full_name or user.username for user in session.scalars(
        select(User).where(User.username.in_(usernames)))} if usernames else {}
    return {actor: ACTORS.get(actor) or names.get(actor.removeprefix("user:"), actor)
            for actor in actors}


def events(session: Session, item: FollowUp) -> list[dict[str, Any]]:
    """The audit trail, oldest first, with each actor's name."""
    rows = list(session.scalars(select(FollowUpEvent)
                                .where(FollowUpEvent.follow_up_id == item.id)
                                .order_by(FollowUpEvent.at, FollowUpEvent.id)))
    names = actor_names(session, {event.actor for event in rows})
    return [{"kind": event.kind, "kind_name": EVENTS.get(event.kind, event.kind),
             "at": _iso(event.at), "actor": event.actor, "actor_name": names[event.actor],
             "note": event.note, "detail": dict(event.detail)} for event in rows]


def item_view(session: Session, item: FollowUp, user: User,
              on: dt.date | None = None) -> dict[str, Any]:
    """Everything about one item, and the steps user may take on it now."""
    rating = session.get(Rating, item.rating_id) if item.rating_id else None
    complaint = session.get(Complaint, item.complaint_id) if item.complaint_id else None
    return {
        "id": item.id, "kind": item.kind, "kind_name": KINDS[item.kind], "state": item.state,
        "state_name": STATES[item.state], "due_on": item.due_on.isoformat(),
        "overdue": is_overdue(item, on), "created_at": _iso(item.created_at),
        "assignee": person(session.get(User, item.assignee_id) if item.assignee_id else None),
        "visit_note": item.visit_note, "visited_at": _iso(item.visited_at),
        "resolution": item.resolution, "closed_at": _iso(item.closed_at),
        "appeal_reason": item.appeal_reason, "appeal_decision": item.appeal_decision,
        "appeal_decision_name": DECISIONS.get(item.appeal_decision, ""),
        "excluded": item.appeal_decision == "overturned",
        "rating": _rating_view(session, rating) if rating else None,
        "complaint": _complaint_view(complaint, user) if complaint else None,
        "events": events(session, item), "steps": allowed_steps(item, user)}


def handlers(session: Session, item: FollowUp) -> list[dict[str, Any]]:
    """Who the item can be assigned to: active staff and supervisors of its hall, not the
    staff member a bad rating is about; supervisors only for an integrity complaint."""
    roles = ("supervisor",) if is_supervisors_only(session, item) else ("staff", "supervisor")
    users = session.scalars(select(User).where(
        User.hall_id == item.hall_id, User.active.is_(True),
        User.role.in_(roles)).order_by(User.role.desc(), User.username))
    return [dict(person(user) or {}, role=user.role) for user in users
            if not (item.kind == "rating" and user.id == item.staff_id)]


def my_ratings(session: Session, user: User, page: int = 1, bad_only: bool = False
               ) -> tuple[list[dict[str, Any]], int, int]:
    """One page (PAGE_SIZE) of the ratings bound to user, newest first, each with its
    follow-up's state if bad; with how many there are in all and how many are bad."""
    mine = Rating.staff_id == user.id
    bad = FollowUp.id.is_not(None)
    joined = select(Rating, FollowUp).outerjoin(FollowUp, FollowUp.rating_id == Rating.id)
    counted = select(func.count()).select_from(Rating).outerjoin(
        FollowUp, FollowUp.rating_id == Rating.id).where(mine)
    total = session.scalar(counted) or 0
    bad_total = session.scalar(counted.where(bad)) or 0
    query = joined.where(mine, bad) if bad_only else joined.where(mine)
    rows = session.execute(
        query.order_by(Rating.created_at.desc(), Rating.id.desc())
        .offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    result = []
    for rating, item in rows:
        view = _rating_view(session, rating)
        view["follow_up"] = None if item is None else {
            "id": item.id, "state": item.state, "state_name": STATES[item.state],
            "appeal_reason": item.appeal_reason, "appeal_decision": item.appeal_decision,
            "appeal_decision_name": DECISIONS.get(item.appeal_decision, ""),
            "can_appeal": "appeal" in allowed_steps(item, user)}
        result.append(view)
    return result, total, bad_total


def assigned_to(session: Session, user: User) -> list[dict[str, Any]]:
    """Open items assigned to user (a staff member's to-do list)."""
    rows, _total = list_items(session, user, Filters(state="active"))
    return [row for row in rows if row["assignee"] and row["assignee"]["id"] == user.id]
