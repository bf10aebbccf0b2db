"""The visitor's phone page ``/t/<token>``: the ticket's place in the queue, live, no login;
once the ticket is finished, the offer to rate it (posted to ``/t/<token>/rating``).
Its live status comes from server/api/phone.py.

The token is the unguessable address printed as a QR code on the ticket; it shows
that one ticket and nothing else of the hall.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from server.deps import get_session
from server.models import Hall
from server.pages.rendering import error_page, templates
from server.queue.phone import phone_status, ticket_by_token
from server.ratings.rules import COMMENT_MAX, LEVELS, LEVELS_EN

router = APIRouter(tags=["phone"], include_in_schema=False)
DbSession = Annotated[Session, Depends(get_session)]
# The rating faces' mouths: a smile for 非常满意 down to a frown for 非常不满意.
MOUTHS = {level: f"M12 {26 - bend / 2:g} Q20 {26 + bend * 1.5:g} 28 {26 - bend / 2:g}"
          for level, bend in ((5, 4), (4, 2), (3, 0), (2, -2), (1, -4))}


@router.get("/t/{token}", response_class=HTMLResponse)
def phone_page(request: Request, token: str, session: DbSession) -> HTMLResponse:
    """The ticket page (mobile layout, Chinese)."""
    ticket = ticket_by_token(session, token)
    if ticket is None:
        return error_page(request, 404, "没有找到这张号票。请核对二维码，或到服务台咨询。",
                          "No ticket has this address; check the QR code or ask at the desk.")
    hall = session.get(Hall, ticket.hall_id)
    status = phone_status(request.app.state.database, ticket.id)
    response = templates.TemplateResponse(
        request, "phone.html", {"hall": hall, "status": status, "token": token,
                                "status_json": json.dumps(status, ensure_ascii=False),
                                "levels": sorted(LEVELS.items(), reverse=True),
                                "levels_en": LEVELS_EN, "mouths": MOUTHS,
                                "comment_max": COMMENT_MAX})
    response.headers["Cache-Control"] = "no-store"
    return response
