"""Dependencies shared by the routers: the database session, settings and rating reasons;
the bounds every path id and every request's text keep."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import Form, Path, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from protocol.text import NUL, NUL_MESSAGE_EN, NUL_MESSAGE_ZH, contains_nul
from server.body_limit import form_limits
from server.errors import ServiceError
from server.ratings.rules import RatingReasons
from server.settings import ServerSettings

MAX_ID = 2**31 - 1  # what every database's integer column holds
# A record's id in a path: beyond the column's range it cannot exist, and PostgreSQL would
# refuse the query (500); so 422 for the API and "page not found" for pages.
PathId = Annotated[int, Path(ge=1, le=MAX_ID, description="a record's id, 1 to 2^31-1")]
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]  # the same, chosen in a form
FORM = "application/x-www-form-urlencoded"


class TextError(ServiceError):
    """Text the databases cannot hold."""

    MESSAGES = {"nul_character": (422, NUL_MESSAGE_ZH, NUL_MESSAGE_EN)}


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One database session per request. Made on the event loop (a new session touches no
    database) and closed there when it holds no connection, the common case after a commit:
    no thread-pool hop in and out, only the route's own (a sync generator dependency costs
    two, each about as much CPU as a small request's database work). A session still in a
    transaction (a read, a refusal) is rolled back and closed in the thread pool."""
    session = request.app.state.database.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


async def get_settings(request: Request) -> ServerSettings:
    """The server's settings (async: nothing to wait for, so no worker thread is taken)."""
    settings: ServerSettings = request.app.state.settings
    return settings


def get_rating_reasons(request: Request) -> RatingReasons:
    """The rating reasons this application offers (the province's, or the defaults)."""
    reasons: RatingReasons = request.app.state.rating_reasons
    return reasons


async def refuse_nul(request: Request) -> None:
    """Refuse (422) a NUL in the path, the query or a submitted HTML form, before any
    database work: every router depends on it. JSON bodies are refused by their models
    (protocol.text.RefusesNul)."""
    query = unquote_plus(request.url.query)
    if NUL in request.url.path or NUL in query:
        raise TextError("nul_character", "in the address")
    if request.headers.get("content-type", "").split(";")[0].strip() == FORM:
        form = await request.form(**form_limits(request.app.state.settings))  # cached for the route
        if contains_nul([list(item) for item in form.multi_items()]):
            raise TextError("nul_character", "in the form")
