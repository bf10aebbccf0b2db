"""Cases made and moved through their states, each step an event.

States: submitted (已提交) -> accepted (已受理) or needs_more (需补正) -> transferred
(已转办, to a department or another hall) -> closed (已办结). A case that needs more is
accepted once the visitor brought it, or closed; a transferred case is accepted or closed
by whoever has it now. Every step writes a CaseEvent with the time, the actor, the state
after it, a message the visitor reads on the terminal and the phone page, and a note for
staff only: the case's audit trail. A transfer to another hall moves the case there (its
assignee cleared), so the first hall sees it no more.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from protocol.phone import PHONE_MAX_INPUT, normalize_phone
from server.cases.errors import MESSAGE_MAX, NOTE_MAX, CaseError
from server.cases.models import Case, CaseEvent
from server.cases.rules import (
    ACCEPT_DAYS,
    DEFAULT_MESSAGES,
    ELSEWHERE,
    FINISH_DAYS,
    HANDLERS,
    KEY,
    KINDS,
    STEPS,
    TOKEN,
    actor_of,
    new_code,
    new_token,
    today,
    typed_code,
)
from server.models import Hall, User, utcnow
from server.queue.hours import local_day
from server.ratings.followup import due_date

log = logging.getLogger(__name__)


def _event(session: Session, case: Case, kind: str, actor: str, message: str = "",
           note: str = "", now: dt.datetime | None = None, **detail: Any) -> CaseEvent:
    now = now or utcnow()
    event = CaseEvent(case_id=case.id, kind=kind, state=case.state, at=now, actor=actor,
                      message=message, note=note, detail=detail)
    case.updated_at = now
    session.add(event)
    session.flush()
    log.info("case %s (%s, hall %s): %s by %s -> %s", case.id, case.kind, case.hall_id, kind,
             actor, case.state)
    return event


def _text(value: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        raise CaseError("too_long")
    return value


def _keyed(session: Session, terminal_id: int | None, key: str) -> Case | None:
    return session.scalar(select(Case).where(Case.terminal_id == terminal_id,
                                             Case.idempotency_key == key))


def create(session: Session, hall: Hall, kind: str, *, name: str = "", phone: str = "",
           matter: str = "", details: dict[str, Any] | None = None, source: str = "terminal",
           actor: str = "system", terminal_id: int | None = None,
           idempotency_key: str | None = None, code: str | None = None,
           token: str | None = None, at: dt.datetime | None = None,
           received_at: dt.datetime | None = None, complaint_id: int | None = None,
           message: str = "") -> tuple[Case, bool]:
    """Make a case (flushed, not committed): (case, True); or the case this terminal
    already made with idempotency_key, and False. A terminal may bring its own code and
    token (made offline, already printed on the receipt); at is when the visitor made
    it (already bounded against clock skew), from which the deadline counts."""
    if kind not in KINDS:
        raise CaseError("bad_kind")
    if idempotency_key is not None:
        if not KEY.match(idempotency_key):
            raise CaseError("bad_details", reason="idempotency key")
        existing = _keyed(session, terminal_id, idempotency_key)
        if existing is not None:
            return existing, False
    name, matter = name.strip(), matter.strip()
    if len(name) > 40:  # may be empty: the terminal asks no name, the window takes it at 初审
        raise CaseError("bad_name")
    number = normalize_phone(phone[:PHONE_MAX_INPUT + 1])
    if number is None or (not number and kind in ("legal_aid", "callback", "mediation")):
        raise CaseError("bad_phone")
    if len(matter) > 200 or (not matter and kind != "complaint"):
        raise CaseError("bad_matter")
    if code is not None and typed_code(code) is None:
        raise CaseError("bad_code")
    if token is not None and not TOKEN.match(token):
        raise CaseError("bad_details", reason="token")
    received = received_at or utcnow()
    made = at or received
    case = Case(hall_id=hall.id, origin_hall_id=hall.id, kind=kind,
                code=typed_code(code) if code else new_code(), token=token or new_token(),
                state="submitted", name=name, phone=number, matter=matter,
                details=details or {}, source=source, terminal_id=terminal_id,
                idempotency_key=idempotency_key, complaint_id=complaint_id,
                due_on=due_date(session, dt.date.fromisoformat(local_day(made)),
                                ACCEPT_DAYS[kind]),
                created_at=made, received_at=received, updated_at=received)
    for attempt in range(3):
        try:
            with session.begin_nested():
                session.add(case)
                session.flush()
            break
        except IntegrityError:
            if idempotency_key is not None:
                existing = _keyed(session, terminal_id, idempotency_key)
                if existing is not None:  # the same request at the same moment elsewhere
                    return existing, False
            if attempt == 2:
                raise
            # A code or token already taken (never in practice): the case gets new ones;
            # a receipt printed offline with the old code then finds it by the phone page.
            log.warning("case code or token taken; new ones given")
            case.code, case.token = new_code(), new_token()
    _event(session, case, "submitted", actor,
           message or DEFAULT_MESSAGES["submitted"], now=made,
           due_on=case.due_on.isoformat(), source=source)
    return case, True


def _require(case: Case, step: str) -> str:
    starts, after = STEPS[step]
    if case.state not in starts:
        raise CaseError("wrong_state")
    return after


def _require_handler(user: User) -> None:
    if user.role not in HANDLERS:
        raise CaseError("supervisor_only")


def accept(session: Session, case: Case, user: User, message: str = "", note: str = "",
           now: dt.datetime | None = None) -> CaseEvent:
    """受理: the case is taken on; its deadline is now the days to finish it."""
    _require_handler(user)
    case.state = _require(case, "accept")
    message, note = _text(message, MESSAGE_MAX), _text(note, NOTE_MAX)
    case.due_on = due_date(session, today(now), FINISH_DAYS[case.kind])
    return _event(session, case, "accepted", actor_of(user),
                  message or DEFAULT_MESSAGES["accepted"], note, now,
                  due_on=case.due_on.isoformat())


def needs_more(session: Session, case: Case, user: User, message: str, note: str = "",
               now: dt.datetime | None = None) -> CaseEvent:
    """需补正: the visitor is told what to bring or correct (a message is required)."""
    _require_handler(user)
    after = _require(case, "needs_more")
    message, note = _text(message, MESSAGE_MAX), _text(note, NOTE_MAX)
    if not message:
        raise CaseError("message_required")
    case.state = after
    return _event(session, case, "needs_more", actor_of(user), message, note, now)


def transfer(session: Session, case: Case, user: User, *, hall_code: str = "",
             department: str = "", message: str = "", note: str = "",
             now: dt.datetime | None = None) -> CaseEvent:
    """转办: to another hall (the case moves there, unassigned; a supervisor's step) or to a
    department (it stays here). An unknown hall is refused."""
    _require_handler(user)
    after = _require(case, "transfer")
    message, note = _text(message, MESSAGE_MAX), _text(note, NOTE_MAX)
    department = department.strip()[:100]
    hall_code = hall_code.strip()
    detail: dict[str, Any] = {"from_hall_id": case.hall_id}
    if hall_code:
        if user.role != "supervisor":
            raise CaseError("supervisor_only")
        target = session.scalar(select(Hall).where(Hall.code == hall_code[:40]))
        if target is None:
            raise CaseError("unknown_hall", hall=hall_code[:40])
        if target.id == case.hall_id:
            raise CaseError("same_hall")
        case.hall_id, case.assignee_id, case.transferred_to = target.id, None, target.name
        detail |= {"to_hall_id": target.id, "to_hall": target.code}
    elif department:
        case.transferred_to = department
        detail["department"] = department
    else:
        raise CaseError("target_required")
    case.state = after
    return _event(session, case, "transferred", actor_of(user),
                  message or DEFAULT_MESSAGES["transferred"].format(target=case.transferred_to),
                  note, now, **detail)


def close(session: Session, case: Case, user: User | None, message: str = "",
          note: str = "", *, actor: str = "", now: dt.datetime | None = None) -> CaseEvent:
    """办结: the case is finished; the message tells the visitor the result."""
    if user is not None:
        _require_handler(user)
    case.state = _require(case, "close")
    message, note = _text(message, MESSAGE_MAX), _text(note, NOTE_MAX)
    case.closed_at = now or utcnow()
    return _event(session, case, "closed", actor or (actor_of(user) if user else "system"),
                  message or DEFAULT_MESSAGES["closed"], note, now)


def assign(session: Session, case: Case, user: User, assignee_id: int, note: str = "",
           now: dt.datetime | None = None) -> CaseEvent:
    """指派: a supervisor gives the case to a staff member or supervisor of its hall."""
    if user.role != "supervisor":
        raise CaseError("supervisor_only")
    if case.state == "closed":
        raise CaseError("wrong_state")
    assignee = session.get(User, assignee_id)
    if (assignee is None or not assignee.active or assignee.role not in HANDLERS
            or assignee.hall_id != case.hall_id):
        raise CaseError("bad_assignee")
    previous, case.assignee_id = case.assignee_id, assignee.id
    return _event(session, case, "assigned", actor_of(user), "", _text(note, NOTE_MAX), now,
                  assignee_id=assignee.id, assignee=assignee.username,
                  previous_assignee_id=previous)


def take_step(session: Session, case: Case, user: User, step: str, *, message: str = "",
              note: str = "", hall_code: str = "", department: str = "",
              assignee_id: int | None = None) -> CaseEvent:
    """One step by name, as the console and the API take them. A complaint is worked in
    差评回访与投诉 (its steps there move its case)."""
    if case.kind in ELSEWHERE:
        raise CaseError("handled_elsewhere")
    if step == "accept":
        return accept(session, case, user, message, note)
    if step == "needs_more":
        return needs_more(session, case, user, message, note)
    if step == "transfer":
        return transfer(session, case, user, hall_code=hall_code, department=department,
                        message=message, note=note)
    if step == "close":
        return close(session, case, user, message, note)
    if step == "assign" and assignee_id is not None:
        return assign(session, case, user, assignee_id, note)
    if step == "assign":
        raise CaseError("bad_assignee")
    raise CaseError("wrong_state")


def allowed_steps(case: Case, user: User) -> list[str]:
    """The steps the user may take on the case now."""
    if case.kind in ELSEWHERE:
        return []
    steps = [step for step, (starts, _after) in STEPS.items() if case.state in starts]
    if user.role == "supervisor" and case.state != "closed":
        steps.append("assign")
    return steps if user.role in HANDLERS else []
