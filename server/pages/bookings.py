"""预约名单: the console page where the staff and supervisors of a hall see one day's
bookings (default today, China time) per service and slot, with the states and counts
(booked, checked in with the ticket number, cancelled, no-show). Only their own hall:
another hall's list is a 404, an account without a hall is refused."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlalchemy.orm import Session

from server.appointments.sheet import STATE_NAMES, STATES, day_sheet, local_today
from server.deps import get_session
from server.models import Hall, User
from server.pages.rendering import PageRoute, render
from server.security import require_role

router = APIRouter(tags=["booking pages"], route_class=PageRoute, include_in_schema=False)
DbSession = Annotated[Session, Depends(get_session)]
Handler = Annotated[User, Depends(require_role("staff", "supervisor"))]


@router.get("/bookings")
def bookings_page(request: Request, session: DbSession, user: Handler, day: str = "",
                  hall: str = "") -> Response:
    """The day's bookings of the user's hall, per service and slot, with counts."""
    if user.hall_id is None:
        raise HTTPException(status_code=403, detail="no hall")
    own = session.get(Hall, user.hall_id)
    if own is None or (hall and hall[:40] != own.code):
        raise HTTPException(status_code=404)  # another hall's bookings are not there
    today = local_today()
    try:
        shown = dt.date.fromisoformat(day[:10]) if day else today
    except ValueError:
        shown = today
    sheets = day_sheet(session, own.id, shown)
    totals = {state: sum(sheet.counts[state] for sheet in sheets) for state in STATES}
    return render(request, "bookings.html", user, nav="bookings", hall=own, day=shown,
                  today=today, previous=shown - dt.timedelta(days=1),
                  next=shown + dt.timedelta(days=1), sheets=sheets, totals=totals,
                  states=STATES, state_names=STATE_NAMES)
