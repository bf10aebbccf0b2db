"""The comment page a visitor reaches from the QR code on a terminal's thank-you screen:
``/c/{token}``, one comment bound to the rating just given (no account); ``/r/{code}`` is
the shorter link a terminal online shows (a less dense QR code), redirecting there.

See server/ratings/comments.py for the token and how the comment meets its rating,
whichever reaches the server first.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from server.deps import get_session, get_settings
from server.models import Hall
from server.pages.language import LANGUAGES, in_language
from server.pages.rendering import PageRoute, templates
from server.rate_limits import RateLimited, admit_anonymous
from server.ratings.comments import CommentError, add_comment, check_code, check_link, find
from server.ratings.models import Rating
from server.ratings.rules import COMMENT_MAX
from server.settings import ServerSettings

log = logging.getLogger(__name__)
router = APIRouter(tags=["rating comment"], route_class=PageRoute, include_in_schema=False)
DbSession = Annotated[Session, Depends(get_session)]
Settings = Annotated[ServerSettings, Depends(get_settings)]


def _page(request: Request, *, status: int = 200, hall: Hall | None = None,
          rating: Rating | None = None, error: str = "", closed: bool = False,
          sent: bool = False, comment: str = "") -> HTMLResponse:
    response = templates.TemplateResponse(
        request, "rating_comment.html",
        {"hall": hall, "rating": rating, "error": error, "closed": closed, "sent": sent,
         "comment": comment, "comment_max": COMMENT_MAX}, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(request: Request, error: CommentError, hall: Hall | None = None,
             comment: str = "") -> HTMLResponse:
    # A token that cannot be used closes the page; a bad comment keeps the form.
    return _page(request, status=error.status, hall=hall,
                 error=in_language(request, error.message_zh, error.message_en),
                 closed=error.code not in ("empty", "too_long"), comment=comment)


@router.get("/r/{code}")
def short_link(request: Request, code: str, session: DbSession, settings: Settings
               ) -> Response:
    """The short link of a comment QR code: to its comment page, or a visitor's 404."""
    try:
        check_code(session, code, settings.rating_comment_minutes)
    except CommentError as error:
        return _refused(request, error)
    lang = request.query_params.get("lang", "")
    return RedirectResponse(f"/c/{code}" + (f"?lang={lang}" if lang in LANGUAGES else ""),
                            status_code=303)


@router.get("/c/{token}")
def comment_form(request: Request, token: str, session: DbSession,
                 settings: Settings) -> Response:
    """The form, with the rating it belongs to when that has arrived."""
    try:
        terminal, nonce = check_link(session, token, settings.rating_comment_minutes)
    except CommentError as error:
        return _refused(request, error)
    hall = session.get(Hall, terminal.hall_id) if terminal.hall_id else None
    row, rating = find(session, nonce)
    if row is not None and row.commented_at is not None:
        return _refused(request, CommentError("already_commented"), hall)
    return _page(request, hall=hall, rating=rating)


@router.post("/c/{token}")
def comment_submit(request: Request, token: str, session: DbSession, settings: Settings,
                   comment: Annotated[str, Form(max_length=10_000)] = "") -> Response:
    """Store the comment once; the rating gets it now or when it arrives."""
    hall = None
    try:
        terminal, nonce = check_link(session, token, settings.rating_comment_minutes)
        hall = session.get(Hall, terminal.hall_id) if terminal.hall_id else None
        admit_anonymous(request, session, "comment", hall.code if hall else None)
        _row, rating = add_comment(session, terminal, nonce, comment)
        session.commit()
    except CommentError as error:
        session.rollback()
        return _refused(request, error, hall, comment)
    except RateLimited as error:  # the form again with the comment kept, to send later
        session.rollback()
        response = _page(request, status=429, hall=hall, comment=comment,
                         error=in_language(request, error.message_zh, error.message_en))
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    return _page(request, hall=hall, rating=rating, sent=True)

