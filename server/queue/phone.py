"""What the visitor's phone sees of one ticket, found by the token printed on it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import Database
from server.queue.models import Ticket
from server.queue.views import ticket_view

STATE_TEXT = {"waiting": "等候中", "transferred": "已转移，等候中", "called": "请到窗口办理",
              "serving": "正在办理", "held": "已挂起，请留意回呼", "finished": "已办结",
              "no_show": "已过号", "cancelled": "已作废"}


def ticket_by_token(session: Session, token: str) -> Ticket | None:
    """The ticket whose phone address is token, or None."""
    if not 10 <= len(token) <= 64:
        return None
    return session.scalar(select(Ticket).where(Ticket.token == token))


def phone_status(database: Database, ticket_id: int) -> dict[str, Any]:
    """The ticket's status for its phone page, in a session of its own (streams outlive
    the request's)."""
    with database.sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        view = ticket_view(session, ticket)
    view.pop("id"), view.pop("visitor")
    view["state_text"] = STATE_TEXT.get(view["state"], view["state"])
    return view
