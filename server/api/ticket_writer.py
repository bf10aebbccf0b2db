"""Writing the tickets of POST /api/v1/queue/tickets: one request in a transaction of its
own, or requests arriving together in one transaction and one commit (group commit).

Used by the route and its fast path (server/api/tickets.py). Signature, nonce and ticket
are written in one transaction on one connection; a refusal is rolled back alone.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import Request, Response
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from protocol.enums import Priority
from protocol.queue import (
    TicketIssued,
    TicketRequest,
)
from server.api.appointments import check_in_ticket
from server.models import Hall, Service, Terminal, utcnow
from server.queue.core import SERVICE_COLUMNS, ServiceRow, begin_write, service_of
from server.queue.errors import QueueError
from server.queue.issuing import issue_new, keyed_ticket_id
from server.queue.models import Ticket
from server.queue.views import (
    issued_view,
    ticket_view,
)
from server.rawsql import RawStatement
from server.settings import ServerSettings
from server.terminal_auth import (
    SIGNER_COLUMNS,
    check_signature,
    record_new_nonce,
    refusal,
    touch,
)

log = logging.getLogger(__name__)
TICKETS_PATH = "/api/v1/queue/tickets"
# The threads that do the ticket route's database work (asyncio's executor costs the event
# loop less than anyio's worker threads), one pool per process. Several: on SQLite a writer
# waiting for the lock sleeps in SQLite's busy handler, and one committing may be
# checkpointing the WAL (an fsync); on PostgreSQL their round trips overlap.
ISSUERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="tickets")

_KEYED = (select(Ticket.id).where(Ticket.terminal_id == Terminal.id,
                                  Ticket.idempotency_key == bindparam("key"))
          .scalar_subquery().label("existing"))
_SIGNER = (select(*SIGNER_COLUMNS, Hall.name.label("hall_name"), _KEYED, *SERVICE_COLUMNS)
           .outerjoin(Hall, Hall.id == Terminal.hall_id)
           .outerjoin(Service, service_of(Terminal.hall_id))
           .where(Terminal.device_id == bindparam("device")))
_RAW_SIGNER = RawStatement(_SIGNER)


def take_ticket_alone(request: Request, body: TicketRequest, headers: dict[str, str], raw: bytes,
                 path: str) -> Response:
    """take_ticket's database work: the signer (whatever its status) and its signature, its
    nonce and the ticket committed together (one transaction, one commit); a request refused
    after its nonce was recorded still keeps the nonce (committed on its own), so a replay
    of it is refused too, whatever the reason of the first refusal."""
    state = request.app.state
    settings: ServerSettings = state.settings
    with state.database.sessions() as session:
        connection = session.connection()
        signer = _RAW_SIGNER.record(connection, {"device": headers["X-Device-Id"],
                                                 "key": body.idempotency_key,
                                                 "code": body.service})
        check_signature(signer, headers, request.method, path, raw)
        assert signer is not None  # checked
        nonce = headers["X-Nonce"]
        begin_write(session)
        if not record_new_nonce(connection, signer.id, nonce, settings):
            session.rollback()
            raise refusal(401, "replayed request (nonce already used)", signer.device_id)
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
                                   actor=f"terminal:{signer.device_id[:12]}",
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
# counter's, the ticket's, its indexes', the feed's and the nonce's, once per commit). No
# savepoint per request (a round trip and a subtransaction each): a refusal writes nothing
# but its nonce (a replayed nonce is not inserted, a closed service or a reached daily cap
# takes no number), so the others go on; the same idempotency key twice in a batch gives
# the first's ticket. No reply before the commit: each request is answered once the
# transaction holding its ticket is durable. If the batch fails as a whole (a database
# error: its commit, a PostgreSQL deadlock, a key or nonce committed by another writer
# since the batch's reads), it is rolled back and every request is done again on its own
# (take_ticket_alone), as without batching; a request alone is written as without batching too.
# The writers are ISSUERS threads: one per database and process on SQLite, two on
# PostgreSQL. Every batch locks its counter rows in service order: two batches (two
# writers, two processes) do not deadlock on them.
GATHER_SECONDS = 0.002  # how long a writer waits for a batch to fill (no CPU)
BATCH_MAX = 32  # requests per transaction at most
PG_WRITERS = 2
PROBE_EVERY = 16


class TicketJob:
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
        self._waiting: list[TicketJob] = []
        self._writers = 0
        self._most = 1 if database.engine.dialect.name == "sqlite" else PG_WRITERS
        self._expect = 1  # the last batch's size
        self._target = 1  # what the writer gathering now waits for
        self._batches = 0

    def submit(self, job: TicketJob) -> None:
        """Queue job (from its event loop); start a writer unless enough are at work (one
        takes job with its next batch)."""
        with self._ready:
            self._waiting.append(job)
            if self._writers >= self._most or (self._writers and len(self._waiting) < 2):
                if len(self._waiting) == self._target:
                    self._ready.notify()
                return
            self._writers += 1
        ISSUERS.submit(self._drain)

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


Answer = tuple[TicketJob, Response | None, BaseException | None]


def _answers(database: Any, batch: list[TicketJob]) -> list[Answer]:
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
    return [_write_alone(job) for job in batch]  # alone: as without batching


def _write_alone(job: TicketJob) -> Answer:
    try:
        reply = take_ticket_alone(job.request, job.body, job.headers, job.raw, TICKETS_PATH)
        return job, reply, None
    except Exception as error:
        return job, None, error


_WRITERS: weakref.WeakKeyDictionary[Any, _TicketWriter] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def writer_of(database: Any) -> _TicketWriter:
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


def _write_batch(database: Any, batch: list[TicketJob]) -> None:
    """batch's signatures, nonces and tickets in one transaction and one commit: each job
    ends with its reply or its error set; an exception out of here is the batch's (nothing
    committed; the caller does every request again on its own)."""
    settings: ServerSettings = batch[0].request.app.state.settings
    with database.sessions() as session:
        connection = session.connection()
        for job in batch:  # reads and signatures first, before any lock is taken
            job.reply, job.error = None, None
            job.signer = _RAW_SIGNER.record(connection, {
                "device": job.headers["X-Device-Id"], "key": job.body.idempotency_key,
                "code": job.body.service})
            try:
                check_signature(job.signer, job.headers, "POST", TICKETS_PATH, job.raw)
            except Exception as error:
                job.error = error
        # Counter rows locked in one order by every batch (PostgreSQL: no deadlock between
        # two processes' batches); each arrival read once its number is taken (issue_new).
        signed = sorted((job for job in batch if job.error is None),
                        key=lambda job: job.signer.service_id or 0)
        if not signed:
            session.rollback()
            return
        begin_write(session)
        issued: dict[tuple[int, str], int] = {}  # this batch's tickets by terminal and key
        for job in signed:
            _write_job(session, connection, job, settings, issued)
        session.commit()


def _write_job(session: Session, connection: Connection, job: TicketJob,
               settings: ServerSettings, issued: dict[tuple[int, str], int]) -> None:
    """One request of a batch: its reply or its error set. No savepoint: a refusal writes
    nothing but its nonce, which is kept anyway (a replay of a refused request is refused
    too); a database error (a key or nonce committed by another writer since the batch's
    reads) is raised, and fails the batch."""
    signer, body = job.signer, job.body
    if not record_new_nonce(connection, signer.id, job.headers["X-Nonce"], settings):
        job.error = refusal(401, "replayed request (nonce already used)", signer.device_id)
        return
    if signer.status != "accepted":
        job.error = refusal(403, f"terminal {signer.status}", signer.device_id)
        return
    now = utcnow()
    key = (signer.id, body.idempotency_key)
    existing = signer.existing or issued.get(key)  # committed, or earlier in this batch
    touch(connection, signer, now)
    if existing is None:
        try:
            if signer.hall_id is None:
                raise QueueError("no_hall")
            ticket = issue_new(session, signer.hall_id, ServiceRow.of(signer, body.service),
                               actor=f"terminal:{signer.device_id[:12]}",
                               priority=body.priority, appointment_code=body.appointment_code,
                               idempotency_key=body.idempotency_key, terminal_id=signer.id)
        except QueueError as error:  # refused before anything of the ticket was written
            job.error = error
            return
        issued[key] = ticket.id
        job.reply = (issued_view(session, ticket), signer.hall_name, 201)
        return
    kept = session.get(Ticket, existing)
    assert kept is not None  # committed or in this transaction; tickets are never deleted
    job.reply = (ticket_view(session, kept, private=True), signer.hall_name, 200)


def _keep_nonce(session: Session, signer: Any, nonce: str, settings: ServerSettings) -> None:
    """Record the nonce of a request whose transaction was rolled back (committed); if
    another request with it came first, this one is the replay (401)."""
    begin_write(session)
    if not record_new_nonce(session.connection(), signer.id, nonce, settings):
        session.rollback()
        raise refusal(401, "replayed request (nonce already used)", signer.device_id)
    session.commit()


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
