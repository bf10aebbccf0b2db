"""Ratings from terminals (signed) and from the visitor's phone page (the ticket's token).

Refusals are JSON ``{"error": code, "message": 中文}`` with 409 or 422; nothing is
stored twice: a retried request with the same idempotency key gets the same rating.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.feedback import (
    RatingLevel,
    RatingLevels,
    RatingView,
    Refusal,
    TerminalRating,
    TicketToRate,
)
from protocol.text import RefusesNul
from server.deps import get_rating_reasons, get_session
from server.models import Hall, Terminal, utcnow
from server.queue.hours import local_day
from server.queue.models import Ticket
from server.rate_limits import admit_anonymous
from server.ratings.models import Rating
from server.ratings.rules import (
    INDICATORS,
    LEVELS,
    LEVELS_EN,
    RatingError,
    RatingReasons,
    rate,
)
from server.terminal_auth import current_terminal

router = APIRouter(tags=["ratings"])
DbSession = Annotated[Session, Depends(get_session)]


class RatingBody(RefusesNul):
    """A visitor's rating: the level, reasons offered for it, an optional comment."""

    model_config = ConfigDict(extra="forbid")
    level: int = Field(ge=1, le=5)
    reasons: list[str] = Field(default_factory=list, max_length=10)
    comment: str = ""  # its length is checked by the rules, which say so in Chinese


class HallRatingError(RatingError):
    """RatingError, plus a terminal that belongs to no hall."""

    MESSAGES = {**RatingError.MESSAGES,
                "no_hall": (403, "终端未关联大厅。", "The terminal belongs to no hall.")}


# Refusals are raised: the app's ServiceError handler answers {"error", "message"}.
REFUSED: dict[int | str, dict[str, Any]] = {
    status: {"model": Refusal, "description": description} for status, description
           in ((403, "the terminal belongs to no hall"), (404, "no such ticket today"),
               (409, "not finished, or rated already"), (422, "a level or reason not offered"))}


def _view(rating: Rating) -> RatingView:
    return RatingView(id=rating.id, level=rating.level, level_name=LEVELS[rating.level],
                      reasons=rating.reasons, ticket=rating.ticket_id, source=rating.source)


@router.get("/api/v1/ratings/levels")
def levels(offered: Annotated[RatingReasons, Depends(get_rating_reasons)]) -> RatingLevels:
    """The five levels and the reasons offered for each (what a rating pad shows)."""
    return RatingLevels(indicators=list(INDICATORS), levels=[
        RatingLevel(level=level, name=LEVELS[level], name_en=LEVELS_EN[level],
                    reasons=list(offered.reasons[level]),
                    reasons_en=[offered.english.get(reason, "")
                                for reason in offered.reasons[level]],
                    indicators={reason: offered.indicator[reason]
                                for reason in offered.reasons[level]})
        for level in sorted(LEVELS, reverse=True)])


@router.get("/api/v1/ratings/ticket/{number}", responses=REFUSED)
def ticket_to_rate(number: str, session: DbSession,
                   terminal: Annotated[Terminal, Depends(current_terminal)]) -> TicketToRate:
    """Whether today's ticket `number` of the terminal's hall can be rated (评价服务 checks
    before showing the levels; the rating itself travels through the terminal's outbox)."""
    ticket = session.scalar(select(Ticket).where(
        Ticket.hall_id == terminal.hall_id, Ticket.day == local_day(utcnow()),
        Ticket.number == number.strip().upper()[:8])) if terminal.hall_id else None
    if ticket is None:
        raise RatingError("unknown_ticket")
    if ticket.state != "finished":
        raise RatingError("not_finished")
    if session.scalar(select(Rating.id).where(Rating.ticket_id == ticket.id)) is not None:
        raise RatingError("already_rated")
    return TicketToRate(ticket=ticket.id, number=ticket.number, day=ticket.day,
                        service=ticket.service.name,
                        window=ticket.window.number if ticket.window else None)


@router.post("/api/v1/ratings", status_code=201, responses={
    200: {"model": RatingView, "description": "the rating this idempotency key stored"},
    **REFUSED})
def terminal_rating(body: TerminalRating, request: Request, response: Response, session: DbSession,
                    terminal: Annotated[Terminal, Depends(current_terminal)]) -> RatingView:
    """Rate a finished ticket of today by its number, or the hall without a ticket."""
    hall = session.get(Hall, terminal.hall_id) if terminal.hall_id else None
    if hall is None:
        raise HallRatingError("no_hall")
    try:
        ticket = None
        if body.ticket_number:
            ticket = session.scalar(select(Ticket).where(
                Ticket.hall_id == hall.id, Ticket.day == local_day(utcnow()),
                Ticket.number == body.ticket_number.strip().upper()))
            if ticket is None:
                raise RatingError("unknown_ticket")
        rating, created = rate(session, hall, level=body.level, reasons=body.reasons,
                               comment=body.comment, source=body.source, ticket=ticket,
                               idempotency_key=body.idempotency_key, terminal_id=terminal.id,
                               follow_up_days=request.app.state.settings.follow_up_days,
                               offered=request.app.state.rating_reasons)
        session.commit()
    except RatingError:
        session.rollback()
        raise
    if not created:
        response.status_code = 200
    return _view(rating)


@router.post("/t/{token}/rating", status_code=201, include_in_schema=False)
def phone_rating(token: str, body: RatingBody, request: Request, session: DbSession
                 ) -> RatingView:
    """The visitor rates their own finished ticket from its phone page."""
    ticket = (session.scalar(select(Ticket).where(Ticket.token == token))
              if 10 <= len(token) <= 64 else None)
    try:
        if ticket is None:
            raise RatingError("unknown_ticket")
        hall = session.get(Hall, ticket.hall_id)
        assert hall is not None
        admit_anonymous(request, session, "phone_rating", hall.code)  # RateLimited: 429
        rating, _created = rate(session, hall, level=body.level, reasons=body.reasons,
                                comment=body.comment, source="phone", ticket=ticket,
                                follow_up_days=request.app.state.settings.follow_up_days,
                                offered=request.app.state.rating_reasons)
        session.commit()
    except RatingError:
        session.rollback()
        raise
    return _view(rating)
