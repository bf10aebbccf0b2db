"""What staff do at a window: open, pause, call, recall, skip, hold, transfer, finish.

Each function runs inside the caller's transaction, locks the window first (one
action at a time per window) and the ticket it acts on, and checks the ticket is
still in the state the action expects, so two windows can never call or finish the
same ticket: the second gets ``wrong_state``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.enums import QueueEventKind
from protocol.phone import PHONE_MAX_INPUT, normalize_phone
from server.ledger import entries as ledger
from server.models import Service, User, Window, WindowService, as_utc, utcnow
from server.queue.core import begin_write, close_past_days, find_service, lock_window, record
from server.queue.errors import QueueError
from server.queue.hours import local_day
from server.queue.models import AT_WINDOW, WAITING, Ticket

VISITOR_FIELDS = {"name": 40, "phone": 20, "matter": 200, "process": 1000, "result": 500}
PAUSE_REASON_MAX = 100
# A window action (the imperative in the route) and the event it writes (past tense).
ACTION_KINDS = {"start": QueueEventKind.STARTED, "finish": QueueEventKind.FINISHED,
                "no_show": QueueEventKind.NO_SHOW, "hold": QueueEventKind.HELD}
UNDO_NO_SHOW = dt.timedelta(seconds=15)  # the console offers 10 s; the rest covers the network


def _actor(user: User) -> str:
    return f"user:{user.username}"


def _own_window(session: Session, window_id: int, user: User) -> Window:
    begin_write(session)
    window = lock_window(session, window_id)
    if window.staff_id != user.id:
        raise QueueError("not_your_window")
    return window


def _current(session: Session, window: Window) -> Ticket | None:
    return session.scalar(select(Ticket).where(Ticket.window_id == window.id,
                                               Ticket.state.in_(AT_WINDOW)))


def _serves(session: Session, window: Window, service_id: int) -> bool:
    return session.get(WindowService, (window.id, service_id)) is not None


def _ticket(session: Session, window: Window, ticket_id: int, states: tuple[str, ...],
            at_this_window: bool = True) -> Ticket:
    ticket = session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
    if ticket is None or ticket.hall_id != window.hall_id:
        raise QueueError("unknown_ticket")
    if ticket.state not in states or (at_this_window and ticket.window_id != window.id):
        raise QueueError("wrong_state", f"{ticket.number} is {ticket.state}")
    return ticket


def sign_in(session: Session, window_id: int, user: User, now: dt.datetime | None = None
            ) -> Window:
    """Staff take a window and open it; refused while someone else runs it."""
    now = now or utcnow()
    begin_write(session)
    window = lock_window(session, window_id)
    if user.hall_id != window.hall_id:
        raise QueueError("unknown_window")
    if window.staff_id not in (None, user.id) and window.state != "closed":
        raise QueueError("window_taken")
    window.staff_id, window.state, window.pause_reason = user.id, "open", ""
    record(session, None, window.hall_id, QueueEventKind.WINDOW_CHANGED, _actor(user), now,
           window, state="open")
    return window


def set_window_state(session: Session, window_id: int, user: User, state: str,
                     reason: str = "", now: dt.datetime | None = None) -> Window:
    """Pause with a reason (the display shows 暂停服务), resume, or close and sign out."""
    now = now or utcnow()
    window = _own_window(session, window_id, user)
    reason = reason.strip()
    if state == "paused":
        if not reason or len(reason) > PAUSE_REASON_MAX:
            raise QueueError("reason_required")
    elif state == "closed":
        if _current(session, window) is not None:
            raise QueueError("window_busy")
        window.staff_id = None
    window.state, window.pause_reason = state, reason if state == "paused" else ""
    record(session, None, window.hall_id, QueueEventKind.WINDOW_CHANGED, _actor(user), now,
           window, state=state, reason=window.pause_reason)
    return window


def _call(session: Session, window: Window, ticket: Ticket, user: User, now: dt.datetime,
          kind: QueueEventKind = QueueEventKind.CALLED) -> Ticket:
    ticket.state, ticket.window_id, ticket.staff_id = "called", window.id, user.id
    ticket.called_at, ticket.call_count = now, ticket.call_count + 1
    ticket.target_window_id = None
    record(session, ticket, window.hall_id, kind, _actor(user), now, window,
           number=ticket.number, service=ticket.service.code)
    return ticket


def _ready(session: Session, window: Window) -> None:
    if window.state == "paused":
        raise QueueError("window_paused")
    if window.state != "open":
        raise QueueError("window_closed")
    if _current(session, window) is not None:
        raise QueueError("window_busy")


def call_next(session: Session, window_id: int, user: User, now: dt.datetime | None = None
              ) -> Ticket:
    """叫号: the first waiting ticket this window serves (appointments, 绿色通道, arrival)."""
    now = now or utcnow()
    window = _own_window(session, window_id, user)
    close_past_days(session, window.hall_id, now)
    _ready(session, window)
    served = select(WindowService.service_id).where(WindowService.window_id == window.id)
    candidate = session.scalar(
        select(Ticket).where(
            Ticket.hall_id == window.hall_id, Ticket.day == local_day(now),
            Ticket.state.in_(WAITING),
            ((Ticket.target_window_id.is_(None) & Ticket.service_id.in_(served))
             | (Ticket.target_window_id == window.id)))
        .order_by(Ticket.rank, Ticket.arrival_at, Ticket.id)
        .limit(1).with_for_update(skip_locked=True))
    if candidate is None:
        raise QueueError("queue_empty")
    return _call(session, window, candidate, user, now)


def call_number(session: Session, window_id: int, user: User, number: str,
                now: dt.datetime | None = None) -> Ticket:
    """指定叫号: call one waiting ticket by its number, out of turn."""
    now = now or utcnow()
    window = _own_window(session, window_id, user)
    _ready(session, window)
    found = session.scalar(select(Ticket.id).where(
        Ticket.hall_id == window.hall_id, Ticket.day == local_day(now),
        Ticket.number == number.strip().upper()).order_by(Ticket.id.desc()).limit(1))
    if found is None:
        raise QueueError("unknown_ticket", number[:10])
    if session.get(Ticket, found).state == "no_show":  # type: ignore[union-attr]
        raise QueueError("was_no_show", number.strip().upper()[:10])
    ticket = _ticket(session, window, found, WAITING, at_this_window=False)
    if not _serves(session, window, ticket.service_id) and ticket.target_window_id != window.id:
        raise QueueError("not_served_here", ticket.number)
    return _call(session, window, ticket, user, now)


def act(session: Session, window_id: int, user: User, ticket_id: int, action: str,
        now: dt.datetime | None = None, **options: Any) -> Ticket:
    """重呼 recall, 开始办理 start, 办结 finish, 过号 no_show (and undo_no_show within
    UNDO_NO_SHOW), 挂起 hold, 回呼 resume (a held ticket) and call_back (a no-show)."""
    now = now or utcnow()
    window = _own_window(session, window_id, user)
    if action in ("undo_no_show", "call_back"):
        return _after_no_show(session, window, user, ticket_id, action, now)
    if action == "recall":
        ticket = _ticket(session, window, ticket_id, ("called",))
        return _call(session, window, ticket, user, now, QueueEventKind.RECALLED)
    if action == "resume":  # 回呼: a held ticket comes back to the window that held it
        _ready(session, window)
        ticket = _ticket(session, window, ticket_id, ("held",))
        return _call(session, window, ticket, user, now, QueueEventKind.RESUMED)
    ticket = _ticket(session, window, ticket_id, AT_WINDOW)
    if action == "start":
        if ticket.state != "called":
            raise QueueError("wrong_state", f"{ticket.number} is {ticket.state}")
        ticket.state, ticket.started_at = "serving", now
    elif action == "finish":
        ticket.state, ticket.finished_at = "finished", now
        ticket.started_at = ticket.started_at or ticket.called_at
    elif action == "no_show":
        ticket.state, ticket.finished_at, ticket.close_reason = "no_show", now, "no_show"
    elif action == "hold":
        ticket.state = "held"
    else:
        raise ValueError(f"unknown action {action!r}")
    record(session, ticket, window.hall_id, ACTION_KINDS[action], _actor(user), now, window,
           number=ticket.number, service=ticket.service.code, **options)
    return ticket


def _after_no_show(session: Session, window: Window, user: User, ticket_id: int, action: str,
                   now: dt.datetime) -> Ticket:
    """Undo a 过号 pressed by mistake, or call back (回呼) a no-show whose visitor came back.

    Undo puts the ticket back as it was, called at this window and not announced again; it
    is allowed only just after the 过号 and while the window has taken no one else. Call back
    is a new call of today's no-show at a window that serves it (or that skipped it).
    """
    if _current(session, window) is not None:
        raise QueueError("window_busy")
    ticket = _ticket(session, window, ticket_id, ("no_show",), at_this_window=False)
    if ticket.day != local_day(now):
        raise QueueError("wrong_state", f"{ticket.number} is from {ticket.day}")
    if action == "undo_no_show":
        if ticket.window_id != window.id:
            raise QueueError("wrong_state", f"{ticket.number} was skipped at another window")
        finished = as_utc(ticket.finished_at)
        if finished is None or now - finished > UNDO_NO_SHOW:
            raise QueueError("undo_expired", ticket.number)
        ticket.state, ticket.finished_at, ticket.close_reason = "called", None, ""
        record(session, ticket, window.hall_id, QueueEventKind.NO_SHOW_UNDONE, _actor(user),
               now, window, number=ticket.number, service=ticket.service.code)
        return ticket
    _ready(session, window)
    if ticket.window_id != window.id and not _serves(session, window, ticket.service_id):
        raise QueueError("not_served_here", ticket.number)
    ticket.finished_at, ticket.close_reason = None, ""
    return _call(session, window, ticket, user, now, QueueEventKind.RESUMED)


def transfer(session: Session, window_id: int, user: User, ticket_id: int, *,
             service_code: str = "", window_number: int | None = None,
             now: dt.datetime | None = None) -> Ticket:
    """转移 to another service's queue or to one window; the arrival time is kept."""
    now = now or utcnow()
    window = _own_window(session, window_id, user)
    ticket = _ticket(session, window, ticket_id, (*AT_WINDOW, "held"))
    target_window: Window | None = None
    if window_number is not None:
        target_window = session.scalar(select(Window).where(
            Window.hall_id == window.hall_id, Window.number == window_number))
        if target_window is None or target_window.id == window.id:
            raise QueueError("transfer_target")
    service: Service | None = None
    if service_code:
        service = find_service(session, window.hall_id, service_code)
    elif target_window is None:
        raise QueueError("transfer_target")
    if service is not None and target_window is not None and not _serves(
            session, target_window, service.id):
        raise QueueError("not_served_here")
    if service is not None:
        ticket.service_id = service.id
        session.flush()
        session.refresh(ticket, ["service"])
    ticket.state, ticket.window_id, ticket.staff_id = "transferred", None, None
    ticket.target_window_id = target_window.id if target_window else None
    record(session, ticket, window.hall_id, QueueEventKind.TRANSFERRED, _actor(user), now, window,
           number=ticket.number, service=ticket.service.code,
           to_window=target_window.number if target_window else None)
    return ticket


def register_visitor(session: Session, window_id: int, user: User, ticket_id: int,
                     fields: dict[str, Any], now: dt.datetime | None = None) -> Ticket:
    """Attach the 服务台账 registration (name, phone, matter, process, result) to a ticket."""
    now = now or utcnow()
    window = _own_window(session, window_id, user)
    ticket = _ticket(session, window, ticket_id, (*AT_WINDOW, "held", "finished"))
    unknown = set(fields) - set(VISITOR_FIELDS)
    cleaned = {key: str(value).strip() for key, value in fields.items()}
    bad = set(unknown)
    if "phone" in cleaned:  # stored in one form however it was typed (protocol/phone.py)
        phone = normalize_phone(cleaned["phone"][:PHONE_MAX_INPUT + 1])
        if phone is None:
            bad.add("phone")
        cleaned["phone"] = phone or ""
    bad |= {key for key, value in cleaned.items() if len(value) > VISITOR_FIELDS.get(key, 0)}
    if bad or not cleaned.get("matter"):
        raise QueueError("bad_visitor", ", ".join(sorted(bad)) or "matter")
    cleaned.update(staff=user.username, recorded_at=now.isoformat())
    ticket.visitor = cleaned
    ledger.keep(session, ticket, window, user, cleaned, now)
    record(session, ticket, window.hall_id, QueueEventKind.REGISTERED, _actor(user), now, window,
           number=ticket.number)
    return ticket
