"""The visitor's phone page's JSON: the ticket's status, once or as server-sent events.

The token is the unguessable address printed as a QR code on the ticket; it shows
that one ticket and nothing else of the hall. The page itself is server/pages/phone.py.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from protocol.queue import PhoneStatus
from server.deps import get_session
from server.queue import feed, streams
from server.queue.models import Ticket
from server.queue.phone import phone_status as status_of
from server.queue.phone import ticket_by_token
from server.queue.views import last_event_id

router = APIRouter(tags=["phone"], include_in_schema=False)
DbSession = Annotated[Session, Depends(get_session)]


def _ticket(session: Session, token: str) -> Ticket:
    ticket = ticket_by_token(session, token)
    if ticket is None:
        raise HTTPException(status_code=404, detail="no such ticket")
    return ticket


@router.get("/t/{token}/status")
def phone_status(request: Request, token: str, session: DbSession) -> PhoneStatus:
    """The ticket's status as JSON."""
    return PhoneStatus.model_validate(
        status_of(request.app.state.database, _ticket(session, token).id))


@router.get("/t/{token}/events")
def phone_events(request: Request, token: str, session: DbSession,
                 last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None
                 ) -> StreamingResponse:
    """The ticket's status each time it changes, as server-sent events."""
    ticket = _ticket(session, token)
    request.app.state.broker.admit()  # 503 StreamsFull at the process's limit
    ticket_id, hall_id = ticket.id, ticket.hall_id
    header = last_event_id_header or ""
    after = (int(header) if header.isdigit() and int(header) < 2**31
             else last_event_id(session, hall_id))
    session.close()
    database = request.app.state.database
    last: dict[str, Any] = {}

    def render(rows: list[feed.FeedRow]) -> list[str]:
        # Any change in the hall may move this ticket up; send only what changed for it.
        status = status_of(database, ticket_id)
        if status == last:
            return []
        last.clear()
        last.update(status)
        # at: when the change that moved it happened (the feed row's time).
        return [feed.sse(rows[-1].id, "status", {**status, "at": rows[-1].data["at"]})]

    stream = streams.stream(database, request.app.state.broker, hall_id, after,
                            request.is_disconnected, render)
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers=streams.STREAM_HEADERS)
