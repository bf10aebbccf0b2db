"""POST /api/v1/queue/tickets: a terminal takes a queue ticket.

The busiest request a server answers. It is served by a pure-ASGI fast path
(``TicketFastPath``) for the JSON bodies ``TicketRequest`` accepts, everything else by
the FastAPI route with the same code; requests arriving together are written by one
writer in one transaction and one commit (group commit). Every guarantee of the queue
holds either way: contiguous numbers per service, one ticket per idempotency key, a
replayed request refused, every change in the hall's feed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from protocol.enums import Priority
from protocol.queue import (
    TicketIssued,
    TicketRequest,
)
from server.api.queue import REFUSED
from server.api.ticket_writer import (
    ISSUERS,
    TICKETS_PATH,
    TicketJob,
    take_ticket_alone,
    writer_of,
)
from server.terminal_auth import (
    path_of,
    signature_headers,
)

log = logging.getLogger(__name__)

# POST /queue/tickets alone, included before every other router (server/routes.py): the
# busiest request is matched at once instead of after the routes of the routers before it.
tickets_router = APIRouter(prefix="/queue", tags=["queue"])


@tickets_router.post("/tickets", status_code=201, response_model=TicketIssued, responses={
    200: {"model": TicketIssued, "description": "the ticket this idempotency key took"},
    401: {"description": "not signed by a known terminal, or a replayed request"},
    403: {"description": "the terminal is not accepted (revoked, pending, rejected)"},
    **REFUSED})
async def take_ticket(body: TicketRequest, request: Request) -> Response:
    """Issue a ticket; the same idempotency key returns the same ticket (200). A ticket with
    appointment priority is a check-in: only a real booking's code gets one."""
    # The busiest terminal request: the signature's headers are checked here, everything
    # else in one worker thread on one connection, the nonce in the ticket's transaction.
    headers = signature_headers(request, request.app.state.settings)
    raw = await request.body()
    return await asyncio.get_running_loop().run_in_executor(
        ISSUERS, take_ticket_alone, request, body, headers, raw, path_of(request))




class TicketFastPath:
    """POST /api/v1/queue/tickets without FastAPI's per-request routing and dependency work
    (pure ASGI, innermost of the application's middlewares: body limits and security
    headers apply as to every route). Only a request FastAPI would hand to take_ticket as
    it is is served here: JSON, no query, a body TicketRequest accepts; anything else
    (a malformed body, another content type) goes on to the FastAPI route, body replayed,
    so every refusal keeps its shape. Refusals raised here are answered by the
    application's own exception handlers, as FastAPI would."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["path"] != TICKETS_PATH
                or scope["method"] != "POST" or scope["query_string"]
                or scope.get("root_path")):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before its request was complete
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        body = _fast_body(scope, raw)
        if body is None:
            await self.app(scope, _replay(raw, receive), send)
            return
        request = Request(scope, receive)
        try:
            state = scope["app"].state
            headers = signature_headers(request, state.settings)
            loop = asyncio.get_running_loop()
            if body.priority == Priority.APPOINTMENT:  # a check-in: a transaction of its own
                response = await loop.run_in_executor(
                    ISSUERS, take_ticket_alone, request, body, headers, raw, TICKETS_PATH)
            else:
                job = TicketJob(request, body, headers, raw, loop)
                writer_of(state.database).submit(job)
                response = await job.future
        except Exception as exc:
            handler = _handler_of(scope["app"], exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        await response(scope, receive, send)


def _fast_body(scope: Scope, raw: bytes) -> TicketRequest | None:
    """The ticket request FastAPI would validate from this JSON body, or None: let the
    route answer (content type not plainly JSON, or a body it refuses with its 422)."""
    content_type = next((value for name, value in scope["headers"]
                         if name == b"content-type"), None)
    if content_type != b"application/json":
        return None
    try:
        return TicketRequest.model_validate_json(raw)
    except ValidationError:
        return None


def _replay(raw: bytes, receive: Receive) -> Receive:
    """A receive that hands the body already read over again, then the client's own."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replayed


def _handler_of(app: Any, exc: Exception) -> Any:
    """The application's handler of exc (by class, the nearest first), as Starlette's
    exception middleware chooses it; None: no handler, the server error answer (a handler
    of Exception itself is the server error middleware's, as in Starlette)."""
    handlers = app.exception_handlers
    for cls in type(exc).__mro__:
        if cls is Exception:
            break
        if cls in handlers:
            return handlers[cls]
    return None


# One read for the whole request: the signer, its hall's name, the ticket its idempotency
# key already took (if any) and the service asked for. They are read before the write
# transaction starts: a ticket with the same key committed in between fails the insert
# (the unique key) and is returned as the first's.
