"""呼叫工作人员: a visitor's call for staff from a terminal, live on the hall's consoles.

A call and its acknowledgement are entries of the hall's feed (``queue_event``), so they
reach every console and hall view at once, across server processes, with no table of
their own. A call is open until an acknowledgement names it; calls older than
OPEN_HOURS no longer show (the feed itself is kept FEED_DAYS).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.enums import QueueEventKind
from protocol.queue import HelpAlert
from server.models import Hall, Terminal, User, as_utc, utcnow
from server.queue.core import begin_write, record
from server.queue.errors import QueueError
from server.queue.models import QueueEvent

OPEN_HOURS = 12  # a call nobody acknowledged for this long is off the consoles


def terminal_label(terminal: Terminal) -> str:
    """How staff know the terminal: the name IT gave it, else "3 号终端"."""
    return terminal.name or f"{terminal.id} 号终端"


def request_help(session: Session, hall: Hall, terminal: Terminal, screen: str,
                 title: str) -> HelpAlert:
    """Record a call for staff from terminal (the caller commits); the alert as shown."""
    begin_write(session)
    now = utcnow()
    row = record(session, None, hall.id, QueueEventKind.HELP_REQUESTED,
                 f"terminal:{terminal.device_id[:12]}", now, terminal=terminal.id,
                 terminal_name=terminal_label(terminal), screen=screen, title=title)
    session.flush()
    return _alert(row, None)


def acknowledge(session: Session, hall: Hall, request_id: int, user: User) -> HelpAlert:
    """Staff answered the call (已处理); acknowledging twice keeps the first (caller commits)."""
    begin_write(session)
    row = _request(session, hall, request_id)
    done = _acknowledgements(session, hall, [row.id]).get(row.id)
    if done is None:
        done = record(session, None, hall.id, QueueEventKind.HELP_ACKNOWLEDGED,
                      f"user:{user.username}", utcnow(), request=row.id,
                      by=user.full_name or user.username)
        session.flush()
    return _alert(row, done)


def status(session: Session, hall: Hall, terminal: Terminal, request_id: int) -> HelpAlert:
    """One of this terminal's calls, acknowledged or not."""
    row = _request(session, hall, request_id)
    if row.payload.get("terminal") != terminal.id:
        raise QueueError("unknown_help")
    return _alert(row, _acknowledgements(session, hall, [row.id]).get(row.id))


def open_alerts(session: Session, hall: Hall, now: dt.datetime | None = None) -> list[HelpAlert]:
    """The hall's calls nobody has acknowledged yet, oldest first."""
    since = (now or utcnow()) - dt.timedelta(hours=OPEN_HOURS)
    rows = session.scalars(select(QueueEvent).where(
        QueueEvent.hall_id == hall.id, QueueEvent.kind == QueueEventKind.HELP_REQUESTED,
        QueueEvent.created_at >= since).order_by(QueueEvent.id)).all()
    done = _acknowledgements(session, hall, [row.id for row in rows])
    return [_alert(row, None) for row in rows if row.id not in done]


def _request(session: Session, hall: Hall, request_id: int) -> QueueEvent:
    row = session.get(QueueEvent, request_id)
    if row is None or row.hall_id != hall.id or row.kind != QueueEventKind.HELP_REQUESTED:
        raise QueueError("unknown_help")
    return row


def _acknowledgements(session: Session, hall: Hall, ids: list[int]) -> dict[int, QueueEvent]:
    """The first acknowledgement of each of these calls."""
    if not ids:
        return {}
    first = min(ids)
    found: dict[int, QueueEvent] = {}
    for row in session.scalars(select(QueueEvent).where(
            QueueEvent.hall_id == hall.id, QueueEvent.kind == QueueEventKind.HELP_ACKNOWLEDGED,
            QueueEvent.id > first).order_by(QueueEvent.id)):
        request = row.payload.get("request")
        if isinstance(request, int) and request in ids:
            found.setdefault(request, row)
    return found


def _alert(row: QueueEvent, done: QueueEvent | None) -> HelpAlert:
    payload: dict[str, Any] = row.payload
    return HelpAlert(
        id=row.id, terminal=str(payload.get("terminal_name", "")),
        screen=str(payload.get("screen", "")), title=str(payload.get("title", "")),
        at=as_utc(row.created_at),
        acknowledged_at=as_utc(done.created_at) if done is not None else None,
        acknowledged_by=str(done.payload.get("by", "")) if done is not None else "")
