"""The FastAPI application factory: settings, database, routers per area."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from server import log_redaction
from server.api.tickets import TicketFastPath
from server.body_limit import BodyLimitMiddleware, form_limits
from server.db import Database, upgrade
from server.deps import refuse_nul
from server.errors import ServiceError
from server.headers import SecurityHeadersMiddleware
from server.ledger import models as ledger_models  # noqa: F401  (registers the table)
from server.pages import api_docs
from server.pages.language import VisitorLanguageMiddleware
from server.pages.rendering import error_page, visitor_error_page, wants_page
from server.queue import models as queue_models  # noqa: F401  (registers the tables)
from server.queue.broker import Broker
from server.queue.core import install_hooks
from server.ratings import models as rating_models  # noqa: F401
from server.ratings.calendar import seed_calendar
from server.ratings.export_worker import ExportWorker
from server.ratings.rules import RatingReasons
from server.routes import ROUTERS
from server.security import SESSION_COOKIE
from server.settings import ServerSettings

log = logging.getLogger(__name__)


def create_app(settings: ServerSettings, *, migrate: bool = True) -> FastAPI:
    """A configured server application on its own database."""
    rating_reasons = RatingReasons.load(settings.rating_reasons)  # the province's, or defaults
    log_redaction.install()  # no phone-page or comment token in the access log
    database = Database(settings.database_url)
    if migrate:
        upgrade(database.engine)
        seed_calendar(database.sessions)  # national holidays for follow-up due dates
    settings.storage_dir.mkdir(parents=True, exist_ok=True)
    broker = Broker(database.engine, settings.max_streams)
    export_worker = (ExportWorker(database, settings, rating_reasons) if settings.exporters
                     else None)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if export_worker is not None:
            export_worker.start()
        yield
        if export_worker is not None:  # lets a send in progress finish
            await asyncio.to_thread(export_worker.stop)
        broker.close()  # end live streams and the PostgreSQL listener

    production = settings.mode == "production"  # API docs for signed-in IT admins only
    app = FastAPI(title="hallkiosk server", version="0.1.0", lifespan=lifespan,
                  docs_url=None if production else "/docs",
                  redoc_url=None if production else "/redoc",
                  openapi_url=None if production else "/openapi.json",
                  description="Content, terminals and fleet management for legal service halls.",
                  form_limits=form_limits(settings))  # type: ignore[arg-type]
    app.add_middleware(TicketFastPath)  # innermost: inside the body limit and the headers
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(VisitorLanguageMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: also on the 413 answers
    app.state.settings = settings
    app.state.database = database
    app.state.broker = broker
    app.state.export_worker = export_worker
    app.state.rating_reasons = rating_reasons
    install_hooks(database.sessions, broker)
    for router, prefix in ROUTERS:  # no NUL in any path, query or form, before any work
        app.include_router(router, prefix=prefix, dependencies=[Depends(refuse_nul)])
    if production:
        app.include_router(api_docs.router)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # An unknown URL (or a refusal outside the pages' own handling): a page for browsers,
        # in the visitor frame unless someone is signed in; JSON for the API and programs.
        if exc.status_code in (404, 405, 410) and wants_page(request):
            status = 404 if exc.status_code == 405 else exc.status_code
            if SESSION_COOKIE in request.cookies:
                return error_page(request, status)
            return visitor_error_page(request, status)
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # One shape for every rejected request: what was wrong, in words and by field.
        errors: list[dict[str, Any]] = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in exc.errors()
        ]
        return JSONResponse(status_code=422, content={"error": "invalid request",
                                                      "details": errors})

    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        # A domain service's refusal: its code and messages, with the status it names.
        retry_after = getattr(exc, "retry_after", None)  # RateLimited, StreamsFull
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return JSONResponse(status_code=exc.status, content=exc.as_json(), headers=headers)

    return app
