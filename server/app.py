"""The FastAPI application factory: settings, database, routers per area."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from server import log_redaction
from server.db import Database, upgrade
from server.errors import ServiceError
from server.queue import models as queue_models  # noqa: F401  (registers the tables)
from server.queue.core import install_hooks
from server.queue.feed import Broker
from server.ratings import models as rating_models  # noqa: F401
from server.ratings.calendar import seed_calendar
from server.ratings.export_worker import ExportWorker
from server.ratings.rules import RatingReasons
from server.routes import ROUTERS
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
    broker = Broker(database.engine)
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

    app = FastAPI(title="hallkiosk server", version="0.1.0", lifespan=lifespan,
                  description="Content, terminals and fleet management for legal service halls.")
    app.state.settings = settings
    app.state.database = database
    app.state.broker = broker
    app.state.export_worker = export_worker
    app.state.rating_reasons = rating_reasons
    install_hooks(database.sessions, broker)
    for router, prefix in ROUTERS:
        app.include_router(router, prefix=prefix)

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
        return JSONResponse(status_code=exc.status, content=exc.as_json())

    return app
