"""Dependencies shared by the routers: the database session, settings and rating reasons."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from server.ratings.rules import RatingReasons
from server.settings import ServerSettings


def get_session(request: Request) -> Iterator[Session]:
    """One database session per request."""
    yield from request.app.state.database.session()


async def get_settings(request: Request) -> ServerSettings:
    """The server's settings (async: nothing to wait for, so no worker thread is taken)."""
    settings: ServerSettings = request.app.state.settings
    return settings


def get_rating_reasons(request: Request) -> RatingReasons:
    """The rating reasons this application offers (the province's, or the defaults)."""
    reasons: RatingReasons = request.app.state.rating_reasons
    return reasons
