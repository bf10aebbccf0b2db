"""The queue API: terminals take tickets and follow the board; staff run their window.

Terminals sign their requests (server/terminal_auth.py); staff use their session
with the CSRF header. Refusals are JSON ``{"error", "message", "message_en"}``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import ConfigDict, Field, ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from protocol.enums import Priority
from protocol.phone import PHONE_MAX_INPUT
from protocol.queue import (
    Board,
    HallRef,
    HelpAlert,
    HelpRequest,
    QueueRefusal,
    ServicesReply,
    SkippedTicket,
    StaffBoard,
    StaffMember,
    TicketIssued,
    TicketRequest,
    TicketView,
    WaitingTicket,
    WindowReply,
)
from protocol.text import RefusesNul
from server.api.appointments import check_in_ticket
from server.deps import MAX_ID, PathId, get_session
from server.models import Hall, Service, Terminal, User, Window, utcnow
from server.queue import actions, feed, help_calls
from server.queue.core import (
    SERVICE_COLUMNS,
    ServiceRow,
    begin_write,
    issue_new,
    keyed_ticket_id,
    service_of,
)
from server.queue.errors import QueueError
from server.queue.models import Ticket
from server.queue.views import (
    board_view,
    issued_view,
    last_event_id,
    no_show_list,
    services_view,
    ticket_view,
    waiting_list,
)
from server.security import require_role
from server.settings import ServerSettings
from server.terminal_auth import (
    SIGNER_COLUMNS,
    check_signature,
    current_terminal,
    insert_nonce,
    path_of,
    refusal,
    signature_headers,
    touch,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/queue", tags=["queue"])
# POST /queue/tickets alone, included before every other router (server/routes.py): the
# busiest request is matched at once instead of after the routes of the routers before it.
tickets_router = APIRouter(prefix="/queue", tags=["queue"])
# The threads that do the ticket route's database work (asyncio's executor costs the event
# loop less than anyio's worker threads), one pool per process. Several: on SQLite a writer
# waiting for the lock sleeps in SQLite's busy handler, and one committing may be
# checkpointing the WAL (an fsync); on PostgreSQL their round trips overlap.
_ISSUERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="tickets")
DbSession = Annotated[Session, Depends(get_session)]
SignedTerminal = Annotated[Terminal, Depends(current_terminal)]
Staff = Annotated[User, Depends(require_role("staff", "supervisor"))]
WindowNumber = Annotated[int, Path(ge=1, le=999)]
TicketId = PathId


class _Body(RefusesNul):
    model_config = ConfigDict(extra="forbid")


class WindowState(_Body):
    """Pause with a reason, resume, or close a window."""

    state: Literal["open", "paused", "closed"]
    reason: str = Field("", max_length=100)


class CallNumber(_Body):
    """指定叫号: the number to call."""

    number: str = Field(min_length=2, max_length=8)


class Transfer(_Body):
    """Where a ticket goes: another service, one window, or a service at one window."""

    service: str = Field("", max_length=40)
    window: int | None = Field(None, ge=1, le=999)


class Visitor(_Body):
    """服务台账 fields recorded for the ticket."""

    name: str = Field("", max_length=40)
    phone: str = Field("", max_length=PHONE_MAX_INPUT)  # as typed; normalised on arrival
    matter: str = Field(min_length=1, max_length=200)
    process: str = Field("", max_length=1000)
    result: str = Field("", max_length=500)


# Refusals are raised: the app's ServiceError handler answers {"error", "message", ...}.
REFUSED: dict[int | str, dict[str, Any]] = {
    status: {"model": QueueRefusal, "description": description} for status, description
           in ((403, "no hall, or not this staff member's window"),
               (404, "unknown service, window or ticket"),
               (409, "not possible now (closed, busy, wrong state)"),
               (422, "malformed or incomplete"))}
STREAM_REFUSED: dict[int | str, dict[str, Any]] = {
    503: {"model": QueueRefusal, "description": "this process holds as many live streams as "
          "it may: retry after the Retry-After seconds"}}
EVENTS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                "description": "the hall's feed: one event per change, its data a QueueEvent"}}
STREAM_RESPONSES = {**EVENTS, **REFUSED, **STREAM_REFUSED}


def _hall_of(session: Session, member: Terminal | User) -> Hall:
    """The hall a terminal or a staff account belongs to."""
    hall = session.get(Hall, member.hall_id) if member.hall_id else None
    if hall is None:
        raise QueueError("no_hall")
    return hall


def _after(after: int | None, last_event: str | None, session: Session, hall: Hall) -> int:
    if last_event and last_event.isdigit() and int(last_event) <= MAX_ID:
        return int(last_event)
    return after if after is not None else last_event_id(session, hall.id)


def _events(request: Request, session: Session, hall: Hall, after: int) -> StreamingResponse:
    request.app.state.broker.admit()  # 503 StreamsFull at the process's limit
    session.close()  # the stream outlives the request's session
    stream = feed.stream(request.app.state.database, request.app.state.broker, hall.id, after,
                         request.is_disconnected)
    return StreamingResponse(stream, media_type="text/event-stream", headers=feed.STREAM_HEADERS)


# -- terminals --------------------------------------------------------------------------


@router.get("/services", responses=REFUSED)
def terminal_services(session: DbSession, terminal: SignedTerminal) -> ServicesReply:
    """The hall's services: open now or when they open, waiting count and estimated wait."""
    hall = _hall_of(session, terminal)
    return ServicesReply.model_validate({"hall": HallRef(code=hall.code, name=hall.name),
                                         "services": services_view(session, hall)})


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
        _ISSUERS, _take_ticket, request, body, headers, raw, path_of(request))


TICKETS_PATH = "/api/v1/queue/tickets"


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
                    _ISSUERS, _take_ticket, request, body, headers, raw, TICKETS_PATH)
            else:
                job = _Job(request, body, headers, raw, loop)
                _writer_of(state.database).submit(job)
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
_KEYED = (select(Ticket.id).where(Ticket.terminal_id == Terminal.id,
                                  Ticket.idempotency_key == bindparam("key"))
          .scalar_subquery().label("existing"))
_SIGNER = (select(*SIGNER_COLUMNS, Hall.name.label("hall_name"), _KEYED, *SERVICE_COLUMNS)
           .outerjoin(Hall, Hall.id == Terminal.hall_id)
           .outerjoin(Service, service_of(Terminal.hall_id))
           .where(Terminal.device_id == bindparam("device")))


def _take_ticket(request: Request, body: TicketRequest, headers: dict[str, str], raw: bytes,
                 path: str) -> Response:
    """take_ticket's database work: the signer (whatever its status) and its signature, its
    nonce and the ticket committed together (one transaction, one commit); a request refused
    after its nonce was recorded still keeps the nonce (committed on its own), so a replay
    of it is refused too, whatever the reason of the first refusal."""
    state = request.app.state
    settings: ServerSettings = state.settings
    with state.database.sessions() as session:
        connection = session.connection()
        signer = connection.execute(_SIGNER, {"device": headers["X-Device-Id"],
                                              "key": body.idempotency_key,
                                              "code": body.service}).first()
        check_signature(signer, headers, request.method, path, raw)
        assert signer is not None  # checked
        nonce = headers["X-Nonce"]
        begin_write(session)
        try:
            insert_nonce(connection, signer.id, nonce, settings)
        except IntegrityError:
            session.rollback()
            raise refusal(401, "replayed request (nonce already used)",
                          signer.device_id) from None
        if signer.status != "accepted":
            session.commit()
            raise refusal(403, f"terminal {signer.status}", signer.device_id)
        now = utcnow()
        touch(connection, signer, now)
        if body.priority == Priority.APPOINTMENT:
            session.commit()  # the nonce; the check-in is a transaction of its own
            return _check_in(request, session, signer, body)
        try:
            if signer.hall_id is None:
                raise QueueError("no_hall")
            existing = signer.existing
            if existing is None:
                issued = issue_new(session, signer.hall_id, ServiceRow.of(signer, body.service),
                                   actor=f"terminal:{signer.device_id[:12]}", now=now,
                                   priority=body.priority,
                                   appointment_code=body.appointment_code,
                                   idempotency_key=body.idempotency_key, terminal_id=signer.id)
                view = issued_view(session, issued)
            session.commit()
        except IntegrityError:  # the same key raced in from a retry: return what the first made
            session.rollback()
            _keep_nonce(session, signer, nonce, settings)
            existing = keyed_ticket_id(session.connection(), signer.id, body.idempotency_key)
            if existing is None:  # not this terminal's key: nothing of anyone else's is returned
                raise
        except Exception:
            session.rollback()
            _keep_nonce(session, signer, nonce, settings)
            raise
        if existing is not None:
            ticket = session.get(Ticket, existing)
            assert ticket is not None  # committed, and tickets are never deleted
            return _issued(ticket_view(session, ticket, private=True), signer.hall_name, 200)
    return _issued(view, signer.hall_name, 201)


# -- group commit ----------------------------------------------------------------------
# The ticket requests that arrive while one transaction of them is being written wait and
# are written together by the next, one commit for all (a commit, not its statements, is
# most of a ticket's database cost: SQLite writes the WAL pages each ticket touches, the
# counter's, the ticket's, its indexes', the feed's and the nonce's, once per commit). Each
# request's work runs in its own savepoint: a refused one is rolled back to it alone (its
# nonce kept), the others go on. No reply before the commit: each request is answered once
# the transaction holding its ticket is durable; if the batch fails as a whole (its commit,
# a PostgreSQL deadlock), it is rolled back and every request is done again on its own
# (_take_ticket), as without batching; a request alone is written as without batching too.
# The writers are _ISSUERS threads: one per database and process on SQLite, two on
# PostgreSQL. Every batch locks its counter rows in service order: two batches (two
# writers, two processes) do not deadlock on them.
GATHER_SECONDS = 0.002  # how long a writer waits for a batch to fill (no CPU)
BATCH_MAX = 32  # requests per transaction at most (PostgreSQL: 64 subtransactions cached)
PG_WRITERS = 2
PROBE_EVERY = 16


class _Job:
    """One ticket request waiting for its batch; its future is the event loop's."""

    __slots__ = ("request", "body", "headers", "raw", "loop", "future", "signer", "reply",
                 "error")

    def __init__(self, request: Request, body: TicketRequest, headers: dict[str, str],
                 raw: bytes, loop: asyncio.AbstractEventLoop):
        self.request, self.body, self.headers, self.raw = request, body, headers, raw
        self.loop, self.future = loop, loop.create_future()
        self.signer: Any = None
        self.reply: tuple[dict[str, Any], str, int] | None = None  # view, hall name, status
        self.error: BaseException | None = None


class _TicketWriter:
    """The requests waiting to be written, and the threads writing them: one on SQLite (one
    writer at a time anyway), a few on PostgreSQL (their round trips overlap).

    A writer starting a batch waits (GATHER_SECONDS at most, no CPU) until as many requests
    wait as its last batch held: requests come back about as they were answered, together;
    every PROBE_EVERY batches it waits for one more, so batches grow back after a lull."""

    def __init__(self, database: Any):  # not kept: the table of writers holds it weakly
        self._ready = threading.Condition(threading.Lock())
        self._waiting: list[_Job] = []
        self._writers = 0
        self._most = 1 if database.engine.dialect.name == "sqlite" else PG_WRITERS
        self._expect = 1  # the last batch's size
        self._target = 1  # what the writer gathering now waits for
        self._batches = 0

    def submit(self, job: _Job) -> None:
        """Queue job (from its event loop); start a writer unless enough are at work (one
        takes job with its next batch)."""
        with self._ready:
            self._waiting.append(job)
            if self._writers >= self._most or (self._writers and len(self._waiting) < 2):
                if len(self._waiting) == self._target:
                    self._ready.notify()
                return
            self._writers += 1
        _ISSUERS.submit(self._drain)

    def _drain(self) -> None:
        while True:
            with self._ready:
                self._batches += 1
                self._target = self._expect + (self._batches % PROBE_EVERY == 0)
                if len(self._waiting) < self._target:
                    self._ready.wait_for(lambda: len(self._waiting) >= self._target,
                                         GATHER_SECONDS)
                batch = self._waiting[:BATCH_MAX]
                del self._waiting[:BATCH_MAX]
                if not batch:
                    self._writers -= 1
                    self._expect = 1
                    return
                self._expect = len(batch)
            try:
                answers = _answers(batch[0].request.app.state.database, batch)
            except Exception as error:  # a bug here: every request answered all the same
                log.exception("ticket batch of %d failed", len(batch))
                answers = [(job, None, error) for job in batch]
            _settle(answers)


Answer = tuple[_Job, Response | None, BaseException | None]


def _answers(database: Any, batch: list[_Job]) -> list[Answer]:
    """batch written (one by one if alone, or if written together failed): each request's
    reply or refusal."""
    if len(batch) > 1:
        try:
            _write_batch(database, batch)
        except Exception:  # the whole batch: rolled back, each request on its own
            log.warning("ticket batch of %d failed; done one by one", len(batch),
                        exc_info=True)
        else:
            answers: list[Answer] = []
            for job in batch:
                if job.error is not None:
                    answers.append((job, None, job.error))
                    continue
                try:
                    assert job.reply is not None  # every job ends with a reply or an error
                    answers.append((job, _issued(*job.reply), None))
                except Exception as error:
                    answers.append((job, None, error))
            return answers
    return [_write_alone(job) for job in batch]  # alone: as without batching (no savepoint)


def _write_alone(job: _Job) -> Answer:
    try:
        return job, _take_ticket(job.request, job.body, job.headers, job.raw, TICKETS_PATH), None
    except Exception as error:
        return job, None, error


_WRITERS: weakref.WeakKeyDictionary[Any, _TicketWriter] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def _writer_of(database: Any) -> _TicketWriter:
    writer = _WRITERS.get(database)
    if writer is None:
        with _WRITERS_LOCK:
            writer = _WRITERS.get(database)
            if writer is None:
                writer = _WRITERS[database] = _TicketWriter(database)
    return writer


def _settle(answers: list[Answer]) -> None:
    """Hand each answer to its request's event loop, one call per loop (a request that
    went away: nobody)."""
    loops: dict[asyncio.AbstractEventLoop, list[Answer]] = {}
    for answer in answers:
        loops.setdefault(answer[0].loop, []).append(answer)
    for loop, theirs in loops.items():
        try:
            loop.call_soon_threadsafe(_hand_over, theirs)
        except RuntimeError:  # the loop is closed
            pass


def _hand_over(answers: list[Answer]) -> None:
    for job, response, error in answers:
        if job.future.done():
            continue
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(response)


def _write_batch(database: Any, batch: list[_Job]) -> None:
    """batch's signatures, nonces and tickets in one transaction and one commit: each job
    ends with its reply or its error set (its own, rolled back to its savepoint); an
    exception out of here is the batch's (nothing committed)."""
    settings: ServerSettings = batch[0].request.app.state.settings
    with database.sessions() as session:
        connection = session.connection()
        for job in batch:  # reads and signatures first, before any lock is taken
            job.reply, job.error = None, None
            job.signer = connection.execute(_SIGNER, {"device": job.headers["X-Device-Id"],
                                                      "key": job.body.idempotency_key,
                                                      "code": job.body.service}).first()
            try:
                check_signature(job.signer, job.headers, "POST", TICKETS_PATH, job.raw)
            except Exception as error:
                job.error = error
        # Counter rows locked in one order by every batch (PostgreSQL: no deadlock between
        # two processes' batches); arrival times read after each lock, as one by one.
        signed = sorted((job for job in batch if job.error is None),
                        key=lambda job: job.signer.service_id or 0)
        if not signed:
            session.rollback()
            return
        begin_write(session)
        raw = connection.connection.dbapi_connection
        assert raw is not None  # the transaction's connection
        cursor = raw.cursor()
        try:
            for job in signed:
                _write_job(session, connection, cursor, job, settings)
        finally:
            cursor.close()
        session.commit()


def _write_job(session: Session, connection: Connection, cursor: Any, job: _Job,
               settings: ServerSettings) -> None:
    """One request of a batch in its own savepoint: its reply or its error set."""
    signer, nonce = job.signer, job.headers["X-Nonce"]
    cursor.execute("SAVEPOINT ticket")
    try:
        insert_nonce(connection, signer.id, nonce, settings)
    except IntegrityError:
        cursor.execute("ROLLBACK TO SAVEPOINT ticket")
        job.error = refusal(401, "replayed request (nonce already used)", signer.device_id)
        return
    if signer.status != "accepted":
        job.error = refusal(403, f"terminal {signer.status}", signer.device_id)
        return
    now = utcnow()
    body = job.body
    existing = signer.existing
    try:
        touch(connection, signer, now)
        if signer.hall_id is None:
            raise QueueError("no_hall")
        if existing is None:
            issued = issue_new(session, signer.hall_id, ServiceRow.of(signer, body.service),
                               actor=f"terminal:{signer.device_id[:12]}", now=now,
                               priority=body.priority, appointment_code=body.appointment_code,
                               idempotency_key=body.idempotency_key, terminal_id=signer.id)
            job.reply = (issued_view(session, issued), signer.hall_name, 201)
            return
    except IntegrityError as error:  # the same key, earlier in this batch or committed since
        cursor.execute("ROLLBACK TO SAVEPOINT ticket")
        if not _kept_nonce(connection, cursor, job, settings):
            return
        existing = keyed_ticket_id(connection, signer.id, body.idempotency_key)
        if existing is None:  # not this terminal's key: nothing of anyone else's is returned
            job.error = error
            return
    except Exception as error:
        cursor.execute("ROLLBACK TO SAVEPOINT ticket")
        if _kept_nonce(connection, cursor, job, settings):
            job.error = error
        return
    ticket = session.get(Ticket, existing)
    assert ticket is not None  # committed or in this transaction; tickets are never deleted
    job.reply = (ticket_view(session, ticket, private=True), signer.hall_name, 200)


def _kept_nonce(connection: Connection, cursor: Any, job: _Job, settings: ServerSettings
                ) -> bool:
    """Record job's nonce again after its savepoint was rolled back; False: it was used
    meanwhile (job refused as a replay)."""
    try:
        insert_nonce(connection, job.signer.id, job.headers["X-Nonce"], settings)
    except IntegrityError:
        cursor.execute("ROLLBACK TO SAVEPOINT ticket")
        job.error = refusal(401, "replayed request (nonce already used)",
                            job.signer.device_id)
        return False
    return True


def _keep_nonce(session: Session, signer: Any, nonce: str, settings: ServerSettings) -> None:
    """Record the nonce of a request whose transaction was rolled back (committed); if
    another request with it came first, this one is the replay (401)."""
    begin_write(session)
    try:
        insert_nonce(session.connection(), signer.id, nonce, settings)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise refusal(401, "replayed request (nonce already used)", signer.device_id) from None


def _check_in(request: Request, session: Session, signer: Any, body: TicketRequest
              ) -> Response:
    terminal, hall = session.get(Terminal, signer.id), session.get(Hall, signer.hall_id)
    assert terminal is not None and hall is not None  # the foreign key, and just read
    response = Response(status_code=201)  # 200 when the key's ticket already existed
    ticket = check_in_ticket(request, response, session, terminal, hall,
                             body.appointment_code or "", "", body.idempotency_key)
    return _issued(ticket.model_dump(mode="json"), hall.name, response.status_code)


def _issued(view: dict[str, Any], hall_name: str, status: int) -> Response:
    """The TicketIssued reply (validated once, written as JSON here rather than again by
    FastAPI from the route's return value)."""
    reply = TicketIssued.model_validate({**view, "hall_name": hall_name})
    return Response(reply.model_dump_json(), status_code=status, media_type="application/json")


@router.get("/board", responses=REFUSED)
def terminal_board(session: DbSession, terminal: SignedTerminal) -> Board:
    """The hall board for a calling display."""
    return Board.model_validate(board_view(session, _hall_of(session, terminal)))


@router.get("/events", response_class=StreamingResponse, responses=STREAM_RESPONSES)
def terminal_events(request: Request, session: DbSession, terminal: SignedTerminal,
                    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
                    last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
    """The hall's queue changes as server-sent events (catch up with ?after=ID)."""
    hall = _hall_of(session, terminal)
    return _events(request, session, hall, _after(after, last_event_id, session, hall))


@router.post("/help", status_code=201, responses=REFUSED)
def request_help(body: HelpRequest, session: DbSession, terminal: SignedTerminal) -> HelpAlert:
    """呼叫工作人员: a visitor at this terminal asks for staff; the consoles show it live."""
    try:
        alert = help_calls.request_help(session, _hall_of(session, terminal), terminal, body.screen,
                                  body.title)
        session.commit()
    except QueueError:
        session.rollback()
        raise
    log.info("help requested at terminal %s on screen %s (alert %s)", terminal.id,
             body.screen, alert.id)
    return alert


@router.get("/help/{request_id}", responses=REFUSED)
def help_status(request_id: PathId, session: DbSession, terminal: SignedTerminal) -> HelpAlert:
    """One of this terminal's calls for staff: acknowledged yet?"""
    return help_calls.status(session, _hall_of(session, terminal), terminal, request_id)


# -- staff --------------------------------------------------------------------------------


@router.post("/help/{request_id}/acknowledge", responses=REFUSED)
def acknowledge_help(request_id: PathId, session: DbSession, user: Staff) -> HelpAlert:
    """已处理: a staff member is on the way to the visitor who called."""
    try:
        alert = help_calls.acknowledge(session, _hall_of(session, user), request_id, user)
        session.commit()
    except QueueError:
        session.rollback()
        raise
    return alert



def _window(session: Session, user: User, number: int) -> Window:
    hall = _hall_of(session, user)
    window = session.scalar(select(Window).where(Window.hall_id == hall.id,
                                                 Window.number == number))
    if window is None:
        raise QueueError("unknown_window")
    return window


ActionReply = TicketView | WindowReply


def _staff_action(session: Session, user: User, number: int,
                  run: Callable[[int], Ticket | Window]) -> ActionReply:
    """Run one window action in a transaction and answer with the ticket or window."""
    try:
        window = _window(session, user, number)
        result = run(window.id)
        session.commit()
    except QueueError:
        session.rollback()
        raise
    if isinstance(result, Ticket):
        return TicketView.model_validate(ticket_view(session, result))
    return WindowReply(number=result.number, state=result.state,
                       pause_reason=result.pause_reason)


@router.get("/staff/board", responses=REFUSED)
def staff_board(session: DbSession, user: Staff) -> StaffBoard:
    """The board and the waiting list of the staff member's hall."""
    return staff_board_of(session, user)


def staff_board_of(session: Session, user: User) -> StaffBoard:
    """The staff board (also what the console page starts from); QueueError without a hall."""
    hall = _hall_of(session, user)
    return StaffBoard.model_validate(
        board_view(session, hall)
        | {"waiting": [WaitingTicket.model_validate(ticket)
                       for ticket in waiting_list(session, hall)],
           "no_shows": [SkippedTicket.model_validate(ticket)
                        for ticket in no_show_list(session, hall)],
           "me": StaffMember(id=user.id, username=user.username, role=user.role),
           "help": help_calls.open_alerts(session, hall)})


@router.get("/staff/events", response_class=StreamingResponse, responses=STREAM_RESPONSES)
def staff_events(request: Request, session: DbSession, user: Staff,
                 after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
                 last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
    """The hall's queue changes for the console, as server-sent events."""
    hall = _hall_of(session, user)
    return _events(request, session, hall, _after(after, last_event_id, session, hall))


@router.post("/windows/{number}/sign-in", responses=REFUSED)
def sign_in(number: WindowNumber, session: DbSession, user: Staff) -> WindowReply:
    """Take the window and open it."""
    reply = _staff_action(session, user, number,
                          lambda window_id: actions.sign_in(session, window_id, user))
    assert isinstance(reply, WindowReply)
    return reply


@router.post("/windows/{number}/state", responses=REFUSED)
def window_state(number: WindowNumber, body: WindowState, session: DbSession, user: Staff
                 ) -> WindowReply:
    """暂停 with a reason, 恢复, or close the window and sign out."""
    reply = _staff_action(session, user, number, lambda window_id: actions.set_window_state(
        session, window_id, user, body.state, body.reason))
    assert isinstance(reply, WindowReply)
    return reply


@router.post("/windows/{number}/call-next", responses=REFUSED)
def call_next(number: WindowNumber, session: DbSession, user: Staff) -> ActionReply:
    """叫号: call the next ticket."""
    return _staff_action(session, user, number,
                         lambda window_id: actions.call_next(session, window_id, user))


@router.post("/windows/{number}/call", responses=REFUSED)
def call_number(number: WindowNumber, body: CallNumber, session: DbSession, user: Staff
                ) -> ActionReply:
    """指定叫号: call one waiting ticket by its number."""
    return _staff_action(session, user, number, lambda window_id: actions.call_number(
        session, window_id, user, body.number))


@router.post("/windows/{number}/tickets/{ticket_id}/transfer", responses=REFUSED)
def transfer(number: WindowNumber, ticket_id: TicketId, body: Transfer, session: DbSession,
             user: Staff) -> ActionReply:
    """转移 the ticket to another service or window."""
    return _staff_action(session, user, number, lambda window_id: actions.transfer(
        session, window_id, user, ticket_id, service_code=body.service,
        window_number=body.window))


@router.post("/windows/{number}/tickets/{ticket_id}/visitor", responses=REFUSED)
def register_visitor(number: WindowNumber, ticket_id: TicketId, body: Visitor, session: DbSession,
                     user: Staff) -> ActionReply:
    """Record the 服务台账 registration with the ticket."""
    fields = {key: value for key, value in body.model_dump().items() if value}
    return _staff_action(session, user, number, lambda window_id: actions.register_visitor(
        session, window_id, user, ticket_id, fields))


@router.post("/windows/{number}/tickets/{ticket_id}/{action}", responses=REFUSED)
def ticket_action(number: WindowNumber, ticket_id: TicketId,
                  action: Literal["recall", "start", "finish", "no_show", "undo_no_show", "hold",
                                  "resume", "call_back"],
                  session: DbSession, user: Staff) -> ActionReply:
    """重呼, 开始办理, 办结, 过号 (or its undo), 挂起, 回呼 a held ticket or call_back a
    no-show (declared last: it would shadow transfer and visitor)."""
    return _staff_action(session, user, number, lambda window_id: actions.act(
        session, window_id, user, ticket_id, action))
