"""The queue API: terminals take tickets and follow the board; staff run their window.

Terminals sign their requests (server/terminal_auth.py); staff use their session
with the CSRF header. Refusals are JSON ``{"error", "message", "message_en"}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.phone import PHONE_MAX_INPUT
from protocol.queue import (
    Board,
    HallRef,
    HelpAlert,
    HelpRequest,
    QueueRefusal,
    ServicesReply,
    SkippedTicket,
    StaffBoard,
    StaffMember,
    TicketView,
    WaitingTicket,
    WindowReply,
)
from protocol.text import RefusesNul
from server.deps import MAX_ID, PathId, get_session
from server.models import Hall, Terminal, User, Window
from server.queue import actions, help_calls, streams
from server.queue.errors import QueueError
from server.queue.models import Ticket
from server.queue.views import (
    board_view,
    last_event_id,
    no_show_list,
    services_view,
    ticket_view,
    waiting_list,
)
from server.security import require_role
from server.terminal_auth import (
    current_terminal,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/queue", tags=["queue"])
DbSession = Annotated[Session, Depends(get_session)]
SignedTerminal = Annotated[Terminal, Depends(current_terminal)]
Staff = Annotated[User, Depends(require_role("staff", "supervisor"))]
WindowNumber = Annotated[int, Path(ge=1, le=999)]
TicketId = PathId


class _Body(RefusesNul):
    model_config = ConfigDict(extra="forbid")


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
    phone: str = Field("", max_length=PHONE_MAX_INPUT)  # as typed; normalised on arrival
    matter: str = Field(min_length=1, max_length=200)
    process: str = Field("", max_length=1000)
    result: str = Field("", max_length=500)


# Refusals are raised: the app's ServiceError handler answers {"error", "message", ...}.
REFUSED: dict[int | str, dict[str, Any]] = {
    status: {"model": QueueRefusal, "description": description} for status, description
           in ((403, "no hall, or not this staff member's window"),
               (404, "unknown service, window or ticket"),
               (409, "not possible now (closed, busy, wrong state)"),
               (422, "malformed or incomplete"))}
STREAM_REFUSED: dict[int | str, dict[str, Any]] = {
    503: {"model": QueueRefusal, "description": "this process holds as many live streams as "
          "it may: retry after the Retry-After seconds"}}
EVENTS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                "description": "the hall's feed: one event per change, its data a QueueEvent"}}
STREAM_RESPONSES = {**EVENTS, **REFUSED, **STREAM_REFUSED}


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
    request.app.state.broker.admit()  # 503 StreamsFull at the process's limit
    session.close()  # the stream outlives the request's session
    stream = streams.stream(request.app.state.database, request.app.state.broker, hall.id,
                            after, request.is_disconnected)
    return StreamingResponse(stream, media_type="text/event-stream", headers=streams.STREAM_HEADERS)


# -- terminals --------------------------------------------------------------------------


@router.get("/services", responses=REFUSED)
def terminal_services(session: DbSession, terminal: SignedTerminal) -> ServicesReply:
    """The hall's services: open now or when they open, waiting count and estimated wait."""
    hall = _hall_of(session, terminal)
    return ServicesReply.model_validate({"hall": HallRef(code=hall.code, name=hall.name),
                                         "services": services_view(session, hall)})


@router.get("/board", responses=REFUSED)
def terminal_board(session: DbSession, terminal: SignedTerminal) -> Board:
    """The hall board for a calling display."""
    return Board.model_validate(board_view(session, _hall_of(session, terminal)))


@router.get("/events", response_class=StreamingResponse, responses=STREAM_RESPONSES)
def terminal_events(request: Request, session: DbSession, terminal: SignedTerminal,
                    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
                    last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
    """The hall's queue changes as server-sent events (catch up with ?after=ID)."""
    hall = _hall_of(session, terminal)
    return _events(request, session, hall, _after(after, last_event_id, session, hall))


@router.post("/help", status_code=201, responses=REFUSED)
def request_help(body: HelpRequest, session: DbSession, terminal: SignedTerminal) -> HelpAlert:
    """呼叫工作人员: a visitor at this terminal asks for staff; the consoles show it live."""
    try:
        alert = help_calls.request_help(session, _hall_of(session, terminal), terminal, body.screen,
                                  body.title)
        session.commit()
    except QueueError:
        session.rollback()
        raise
    log.info("help requested at terminal %s on screen %s (alert %s)", terminal.id,
             body.screen, alert.id)
    return alert


@router.get("/help/{request_id}", responses=REFUSED)
def help_status(request_id: PathId, session: DbSession, terminal: SignedTerminal) -> HelpAlert:
    """One of this terminal's calls for staff: acknowledged yet?"""
    return help_calls.status(session, _hall_of(session, terminal), terminal, request_id)


# -- staff --------------------------------------------------------------------------------


@router.post("/help/{request_id}/acknowledge", responses=REFUSED)
def acknowledge_help(request_id: PathId, session: DbSession, user: Staff) -> HelpAlert:
    """已处理: a staff member is on the way to the visitor who called."""
    try:
        alert = help_calls.acknowledge(session, _hall_of(session, user), request_id, user)
        session.commit()
    except QueueError:
        session.rollback()
        raise
    return alert



def _window(session: Session, user: User, number: int) -> Window:
    hall = _hall_of(session, user)
    window = session.scalar(select(Window).where(Window.hall_id == hall.id,
                                                 Window.number == number))
    if window is None:
        raise QueueError("unknown_window")
    return window


ActionReply = TicketView | WindowReply


def _staff_action(session: Session, user: User, number: int,
                  run: Callable[[int], Ticket | Window]) -> ActionReply:
    """Run one window action in a transaction and answer with the ticket or window."""
    try:
        window = _window(session, user, number)
        result = run(window.id)
        session.commit()
    except QueueError:
        session.rollback()
        raise
    if isinstance(result, Ticket):
        return TicketView.model_validate(ticket_view(session, result))
    return WindowReply(number=result.number, state=result.state,
                       pause_reason=result.pause_reason)


@router.get("/staff/board", responses=REFUSED)
def staff_board(session: DbSession, user: Staff) -> StaffBoard:
    """The board and the waiting list of the staff member's hall."""
    return staff_board_of(session, user)


def staff_board_of(session: Session, user: User) -> StaffBoard:
    """The staff board (also what the console page starts from); QueueError without a hall."""
    hall = _hall_of(session, user)
    return StaffBoard.model_validate(
        board_view(session, hall)
        | {"waiting": [WaitingTicket.model_validate(ticket)
                       for ticket in waiting_list(session, hall)],
           "no_shows": [SkippedTicket.model_validate(ticket)
                        for ticket in no_show_list(session, hall)],
           "me": StaffMember(id=user.id, username=user.username, role=user.role),
           "help": help_calls.open_alerts(session, hall)})


@router.get("/staff/events", response_class=StreamingResponse, responses=STREAM_RESPONSES)
def staff_events(request: Request, session: DbSession, user: Staff,
                 after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
                 last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
    """The hall's queue changes for the console, as server-sent events."""
    hall = _hall_of(session, user)
    return _events(request, session, hall, _after(after, last_event_id, session, hall))


@router.post("/windows/{number}/sign-in", responses=REFUSED)
def sign_in(number: WindowNumber, session: DbSession, user: Staff) -> WindowReply:
    """Take the window and open it."""
    reply = _staff_action(session, user, number,
                          lambda window_id: actions.sign_in(session, window_id, user))
    assert isinstance(reply, WindowReply)
    return reply


@router.post("/windows/{number}/state", responses=REFUSED)
def window_state(number: WindowNumber, body: WindowState, session: DbSession, user: Staff
                 ) -> WindowReply:
    """暂停 with a reason, 恢复, or close the window and sign out."""
    reply = _staff_action(session, user, number, lambda window_id: actions.set_window_state(
        session, window_id, user, body.state, body.reason))
    assert isinstance(reply, WindowReply)
    return reply


@router.post("/windows/{number}/call-next", responses=REFUSED)
def call_next(number: WindowNumber, session: DbSession, user: Staff) -> ActionReply:
    """叫号: call the next ticket."""
    return _staff_action(session, user, number,
                         lambda window_id: actions.call_next(session, window_id, user))


@router.post("/windows/{number}/call", responses=REFUSED)
def call_number(number: WindowNumber, body: CallNumber, session: DbSession, user: Staff
                ) -> ActionReply:
    """指定叫号: call one waiting ticket by its number."""
    return _staff_action(session, user, number, lambda window_id: actions.call_number(
        session, window_id, user, body.number))


@router.post("/windows/{number}/tickets/{ticket_id}/transfer", responses=REFUSED)
def transfer(number: WindowNumber, ticket_id: TicketId, body: Transfer, session: DbSession,
             user: Staff) -> ActionReply:
    """转移 the ticket to another service or window."""
    return _staff_action(session, user, number, lambda window_id: actions.transfer(
        session, window_id, user, ticket_id, service_code=body.service,
        window_number=body.window))


@router.post("/windows/{number}/tickets/{ticket_id}/visitor", responses=REFUSED)
def register_visitor(number: WindowNumber, ticket_id: TicketId, body: Visitor, session: DbSession,
                     user: Staff) -> ActionReply:
    """Record the 服务台账 registration with the ticket."""
    fields = {key: value for key, value in body.model_dump().items() if value}
    return _staff_action(session, user, number, lambda window_id: actions.register_visitor(
        session, window_id, user, ticket_id, fields))


@router.post("/windows/{number}/tickets/{ticket_id}/{action}", responses=REFUSED)
def ticket_action(number: WindowNumber, ticket_id: TicketId,
                  action: Literal["recall", "start", "finish", "no_show", "undo_no_show", "hold",
                                  "resume", "call_back"],
                  session: DbSession, user: Staff) -> ActionReply:
    """重呼, 开始办理, 办结, 过号 (or its undo), 挂起, 回呼 a held ticket or call_back a
    no-show (declared last: it would shadow transfer and visitor)."""
    return _staff_action(session, user, number, lambda window_id: actions.act(
        session, window_id, user, ticket_id, action))
