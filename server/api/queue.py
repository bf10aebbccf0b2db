"""The queue API: terminals take tickets and follow the board; staff run their window.

Terminals sign their requests (server/terminal_auth.py); staff use their session
with the CSRF header. Refusals are JSON ``{"error", "message", "message_en"}``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.deps import get_session
from server.models import Hall, Terminal, User, Window
from server.queue import actions, feed
from server.queue.core import issue_ticket
from server.queue.errors import QueueError
from server.queue.models import Ticket
from server.queue.views import board_view, last_event_id, services_view, ticket_view, waiting_list
from server.security import require_role
from server.terminal_auth import current_terminal

log = logging.getLogger(__name__)
router = APIRouter(prefix="/queue", tags=["queue"])
DbSession = Annotated[Session, Depends(get_session)]
SignedTerminal = Annotated[Terminal, Depends(current_terminal)]
Staff = Annotated[User, Depends(require_role("staff", "supervisor"))]
WindowNumber = Annotated[int, Path(ge=1, le=999)]
MAX_ID = 2**31 - 1  # what every database's integer column holds
TicketId = Annotated[int, Path(ge=1, le=MAX_ID)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketRequest(_Body):
    """What a terminal sends to take a ticket."""

    service: str = Field(min_length=1, max_length=40)
    priority: Literal["normal", "green", "appointment"] = "normal"
    appointment_code: str | None = Field(None, max_length=20)
    idempotency_key: str = Field(min_length=8, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")


class WindowState(_Body):
    """Pause with a reason, resume, or close a window."""

    state: Literal["open", "paused", "closed"]
    reason: str = Field("", max_length=100)


class CallNumber(_Body):
    """指定叫号: the number to call."""

    number: str = Field(min_length=2, max_length=8)


class Transfer(_Body):
    """Where a ticket goes: another service, one window, or a service at one window."""

    service: str = Field("", max_length=40)
    window: int | None = Field(None, ge=1, le=999)


class Visitor(_Body):
    """服务台账 fields recorded for the ticket."""

    name: str = Field("", max_length=40)
    phone: str = Field("", max_length=20)
    matter: str = Field(min_length=1, max_length=200)
    process: str = Field("", max_length=1000)
    result: str = Field("", max_length=500)


def _error(error: QueueError) -> JSONResponse:
    return JSONResponse(status_code=error.status, content=error.as_json())


def _hall_of(session: Session, member: Terminal | User) -> Hall:
    """The hall a terminal or a staff account belongs to."""
    hall = session.get(Hall, member.hall_id) if member.hall_id else None
    if hall is None:
        raise QueueError("no_hall")
    return hall


def _after(after: int | None, last_event: str | None, session: Session, hall: Hall) -> int:
    if last_event and last_event.isdigit() and int(last_event) <= MAX_ID:
        return int(last_event)
    return after if after is not None else last_event_id(session, hall.id)


def _events(request: Request, session: Session, hall: Hall, after: int) -> StreamingResponse:
    session.close()  # the stream outlives the request's session
    stream = feed.stream(request.app.state.database, request.app.state.broker, hall.id, after,
                         request.is_disconnected)
    return StreamingResponse(stream, media_type="text/event-stream", headers=feed.STREAM_HEADERS)


# -- terminals --------------------------------------------------------------------------


@router.get("/services")
def terminal_services(session: DbSession, terminal: SignedTerminal) -> Any:
    """The hall's services: open now or when they open, waiting count and estimated wait."""
    try:
        hall = _hall_of(session, terminal)
    except QueueError as error:
        return _error(error)
    return {"hall": {"code": hall.code, "name": hall.name},
            "services": services_view(session, hall)}


@router.post("/tickets", status_code=201)
def take_ticket(body: TicketRequest, response: Response, session: DbSession,
                terminal: SignedTerminal) -> Any:
    """Issue a ticket; the same idempotency key returns the same ticket (200)."""
    try:
        hall = _hall_of(session, terminal)
        ticket, created = issue_ticket(
            session, hall, body.service, actor=f"terminal:{terminal.device_id[:12]}",
            priority=body.priority, appointment_code=body.appointment_code,
            idempotency_key=body.idempotency_key, terminal_id=terminal.id)
        session.commit()
    except QueueError as error:
        session.rollback()
        return _error(error)
    except IntegrityError:  # the same key raced in from a retry: return what the first made
        session.rollback()
        ticket = session.scalars(select(Ticket).where(
            Ticket.idempotency_key == body.idempotency_key)).one()
        created = False
    if not created:
        response.status_code = 200
    view = ticket_view(session, ticket, private=True)
    view["hall_name"] = hall.name
    return view


@router.get("/board")
def terminal_board(session: DbSession, terminal: SignedTerminal) -> Any:
    """The hall board for a calling display."""
    try:
        return board_view(session, _hall_of(session, terminal))
    except QueueError as error:
        return _error(error)


@router.get("/events")
def terminal_events(request: Request, session: DbSession, terminal: SignedTerminal,
                    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
                    last_event_id: Annotated[str | None, Header()] = None) -> Any:
    """The hall's queue changes as server-sent events (catch up with ?after=ID)."""
    try:
        hall = _hall_of(session, terminal)
    except QueueError as error:
        return _error(error)
    return _events(request, session, hall, _after(after, last_event_id, session, hall))


# -- staff --------------------------------------------------------------------------------


def _window(session: Session, user: User, number: int) -> Window:
    hall = _hall_of(session, user)
    window = session.scalar(select(Window).where(Window.hall_id == hall.id,
                                                 Window.number == number))
    if window is None:
        raise QueueError("unknown_window")
    return window


def _staff_action(session: Session, user: User, number: int, run: Any) -> Any:
    """Run one window action in a transaction and answer with the ticket or window."""
    try:
        window = _window(session, user, number)
        result = run(window.id)
        session.commit()
    except QueueError as error:
        session.rollback()
        return _error(error)
    if isinstance(result, Ticket):
        return ticket_view(session, result)
    return {"number": result.number, "state": result.state, "pause_reason": result.pause_reason}


@router.get("/staff/board")
def staff_board(session: DbSession, user: Staff) -> Any:
    """The board and the waiting list of the staff member's hall."""
    try:
        hall = _hall_of(session, user)
    except QueueError as error:
        return _error(error)
    return board_view(session, hall) | {"waiting": waiting_list(session, hall),
                                        "me": {"id": user.id, "username": user.username,
                                               "role": user.role}}


@router.get("/staff/events")
def staff_events(request: Request, session: DbSession, user: Staff,
                 after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
                 last_event_id: Annotated[str | None, Header()] = None) -> Any:
    """The hall's queue changes for the console, as server-sent events."""
    try:
        hall = _hall_of(session, user)
    except QueueError as error:
        return _error(error)
    return _events(request, session, hall, _after(after, last_event_id, session, hall))


@router.post("/windows/{number}/sign-in")
def sign_in(number: WindowNumber, session: DbSession, user: Staff) -> Any:
    """Take the window and open it."""
    return _staff_action(session, user, number,
                         lambda window_id: actions.sign_in(session, window_id, user))


@router.post("/windows/{number}/state")
def window_state(number: WindowNumber, body: WindowState, session: DbSession, user: Staff) -> Any:
    """暂停 with a reason, 恢复, or close the window and sign out."""
    return _staff_action(session, user, number, lambda window_id: actions.set_window_state(
        session, window_id, user, body.state, body.reason))


@router.post("/windows/{number}/call-next")
def call_next(number: WindowNumber, session: DbSession, user: Staff) -> Any:
    """叫号: call the next ticket."""
    return _staff_action(session, user, number,
                         lambda window_id: actions.call_next(session, window_id, user))


@router.post("/windows/{number}/call")
def call_number(number: WindowNumber, body: CallNumber, session: DbSession, user: Staff) -> Any:
    """指定叫号: call one waiting ticket by its number."""
    return _staff_action(session, user, number, lambda window_id: actions.call_number(
        session, window_id, user, body.number))


@router.post("/windows/{number}/tickets/{ticket_id}/transfer")
def transfer(number: WindowNumber, ticket_id: TicketId, body: Transfer, session: DbSession,
             user: Staff) -> Any:
    """转移 the ticket to another service or window."""
    return _staff_action(session, user, number, lambda window_id: actions.transfer(
        session, window_id, user, ticket_id, service_code=body.service,
        window_number=body.window))


@router.post("/windows/{number}/tickets/{ticket_id}/visitor")
def register_visitor(number: WindowNumber, ticket_id: TicketId, body: Visitor, session: DbSession,
                     user: Staff) -> Any:
    """Record the 服务台账 registration with the ticket."""
    fields = {key: value for key, value in body.model_dump().items() if value}
    return _staff_action(session, user, number, lambda window_id: actions.register_visitor(
        session, window_id, user, ticket_id, fields))


@router.post("/windows/{number}/tickets/{ticket_id}/{action}")
def ticket_action(number: WindowNumber, ticket_id: TicketId,
                  action: Literal["recall", "start", "finish", "no_show", "hold", "resume"],
                  session: DbSession, user: Staff) -> Any:
    """重呼, 开始办理, 办结, 过号, 挂起 or 回呼 the window's ticket (declared last: it
    would shadow transfer and visitor)."""
    return _staff_action(session, user, number, lambda window_id: actions.act(
        session, window_id, user, ticket_id, action))
