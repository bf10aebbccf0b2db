"""The visitor's phone page ``/t/<token>``: the ticket's place in the queue, live, no login;
once the ticket is finished, the offer to rate it (posted to ``/t/<token>/rating``).

The token is the unguessable address printed as a QR code on the ticket; it shows
that one ticket and nothing else of the hall.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.deps import get_session
from server.models import Hall
from server.pages.rendering import error_page, templates
from server.queue import feed
from server.queue.models import Ticket
from server.queue.views import last_event_id, ticket_view
from server.ratings.rules import COMMENT_MAX, LEVELS, LEVELS_EN

router = APIRouter(tags=["phone"], include_in_schema=False)
DbSession = Annotated[Session, Depends(get_session)]
STATE_TEXT = {"waiting": "等候中", "transferred": "已转移，等候中", "called": "请到窗口办理",
              "serving": "正在办理", "held": "已挂起，请留意回呼", "finished": "已办结",
              "no_show": "已过号", "cancelled": "已作废"}
# The rating faces' mouths: a smile for 非常满意 down to a frown for 非常不满意.
MOUTHS = {level: f"M12 {26 - bend / 2:g} Q20 {26 + bend * 1.5:g} 28 {26 - bend / 2:g}"
          for level, bend in ((5, 4), (4, 2), (3, 0), (2, -2), (1, -4))}


def _ticket(session: Session, token: str) -> Ticket:
    ticket = (session.scalar(select(Ticket).where(Ticket.token == token))
              if 10 <= len(token) <= 64 else None)
    if ticket is None:
        raise HTTPException(status_code=404, detail="no such ticket")
    return ticket


def _status(database: Any, ticket_id: int) -> dict[str, Any]:
    with database.sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        view = ticket_view(session, ticket)
    view.pop("id"), view.pop("visitor")
    view["state_text"] = STATE_TEXT.get(view["state"], view["state"])
    return view


@router.get("/t/{token}", response_class=HTMLResponse)
def phone_page(request: Request, token: str, session: DbSession) -> HTMLResponse:
    """The ticket page (mobile layout, Chinese)."""
    try:
        ticket = _ticket(session, token)
    except HTTPException:
        return error_page(request, 404, "没有找到这张号票。请核对二维码，或到服务台咨询。")
    hall = session.get(Hall, ticket.hall_id)
    status = _status(request.app.state.database, ticket.id)
    response = templates.TemplateResponse(
        request, "phone.html", {"hall": hall, "status": status, "token": token,
                                "status_json": json.dumps(status, ensure_ascii=False),
                                "levels": sorted(LEVELS.items(), reverse=True),
                                "levels_en": LEVELS_EN, "mouths": MOUTHS,
                                "comment_max": COMMENT_MAX})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/t/{token}/status")
def phone_status(request: Request, token: str, session: DbSession) -> dict[str, Any]:
    """The ticket's status as JSON."""
    return _status(request.app.state.database, _ticket(session, token).id)


@router.get("/t/{token}/events")
def phone_events(request: Request, token: str, session: DbSession,
                 last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None
                 ) -> StreamingResponse:
    """The ticket's status each time it changes, as server-sent events."""
    ticket = _ticket(session, token)
    ticket_id, hall_id = ticket.id, ticket.hall_id
    header = last_event_id_header or ""
    after = (int(header) if header.isdigit() and int(header) < 2**31
             else last_event_id(session, hall_id))
    session.close()
    database = request.app.state.database
    last: dict[str, Any] = {}

    def render(rows: list[tuple[int, str, dict[str, Any]]]) -> list[str]:
        # Any change in the hall may move this ticket up; send only what changed for it.
        status = _status(database, ticket_id)
        if status == last:
            return []
        last.clear()
        last.update(status)
        return [feed.sse(rows[-1][0], "status", status)]

    stream = feed.stream(database, request.app.state.broker, hall_id, after,
                         request.is_disconnected, render)
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers=feed.STREAM_HEADERS)
