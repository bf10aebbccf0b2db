"""Queue web pages: the window staff console and the supervisor's live hall view.

Both pages start from the same board JSON the console API serves
(``GET /api/v1/queue/staff/board``), embedded in the page, and then follow the
hall's feed in the browser; every action goes through the queue API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from server.api.queue import staff_board_of
from server.deps import get_session
from server.models import User
from server.pages.rendering import PageRoute, render
from server.queue.errors import QueueError
from server.security import require_role

router = APIRouter(tags=["queue pages"], route_class=PageRoute, include_in_schema=False)
DbSession = Annotated[Session, Depends(get_session)]
Staff = Annotated[User, Depends(require_role("staff", "supervisor"))]
Supervisor = Annotated[User, Depends(require_role("supervisor"))]


def _page(request: Request, session: Session, user: User, template: str, nav: str) -> Response:
    try:  # exactly what the page refetches later
        board = staff_board_of(session, user).model_dump(mode="json")
    except QueueError:  # an account without a hall: say so, no console
        return render(request, template, user, nav=nav, board=None)
    return render(request, template, user, nav=nav, board=board)


@router.get("/queue")
def queue_console(request: Request, session: DbSession, user: Staff) -> Response:
    """The window console: choose a window, call, recall, transfer, pause, finish."""
    return _page(request, session, user, "queue_console.html", "queue")


@router.get("/queue/hall")
def queue_hall(request: Request, session: DbSession, user: Supervisor) -> Response:
    """The supervisor's view of every window and queue of the hall, live."""
    return _page(request, session, user, "queue_hall.html", "hall")
