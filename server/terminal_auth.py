"""Authenticate a terminal's signed request (see protocol/signing.py): the one
implementation every terminal route depends on."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import logging
import time
from typing import Annotated, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, HTTPException, Request
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from protocol.signing import HEADER_LIMITS, HEADERS, verify_signature
from server.deps import get_session, get_settings
from server.fleet.commands import commands_waiting
from server.models import Command, SeenNonce, Terminal, as_utc, utcnow
from server.rawsql import RawStatement
from server.settings import ServerSettings

log = logging.getLogger(__name__)
NONCE_PURGE_SECONDS = 10.0
# last_seen_at is written at most this often by ordinary requests (heartbeats always write
# it): offline is decided in heartbeat intervals (30 s), so seconds of lag change nothing.
LAST_SEEN_EVERY = dt.timedelta(seconds=10)
_purged_at = 0.0


# Built once: the busiest statements of every signed request (no per-request SQL building).
_SIGNED_TERMINAL = (
    select(Terminal, commands_waiting(Terminal.id, bindparam("now", type_=Command.expires_at.type)))
    .options(defer(Terminal.screenshot))  # megabytes, never needed here
    .where(Terminal.device_id == bindparam("device")))
_INSERT_NONCE = insert(SeenNonce)
_NONCE_COLUMNS = ("terminal_id", "nonce", "seen_at")
# The nonce recorded unless it was seen: no row back means a replay, and the transaction
# goes on (no error that would abort it on PostgreSQL): the ticket route.
_RAW_NEW_NONCE = {
    name: RawStatement(builder(SeenNonce).on_conflict_do_nothing()
                       .returning(SeenNonce.terminal_id), _NONCE_COLUMNS)
    for name, builder in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))}


@functools.lru_cache(maxsize=65536)
def _public_key(stored: str) -> Ed25519PublicKey:
    """A terminal's key as stored (base64 of the raw bytes), parsed once per process."""
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(stored))


def refusal(status: int, message: str, device: str = "") -> HTTPException:
    log.warning("terminal request refused (%s): %s", device[:12] or "unknown", message)
    return HTTPException(status_code=status, detail=message)


async def verified_request(request: Request, session: Session,
                           settings: ServerSettings) -> tuple[dict[str, str], bytes]:
    """Check headers, timestamp and nonce; return the headers and the body (not the key)."""
    return signature_headers(request, settings), await request.body()


def signature_headers(request: Request, settings: ServerSettings) -> dict[str, str]:
    """The signature headers, all present, within their lengths and the clock skew (401
    otherwise); the signature itself is checked against the terminal's key later."""
    headers = {name: request.headers.get(name, "") for name in HEADERS}
    missing = [name for name, value in headers.items() if not value]
    if missing:
        raise refusal(401, f"missing signature header(s): {', '.join(missing)}")
    too_long = [name for name, value in headers.items() if len(value) > HEADER_LIMITS[name]]
    if too_long:  # before any use: the nonce column holds 64 characters on PostgreSQL
        raise refusal(401, f"signature header(s) too long: {', '.join(too_long)}")
    try:
        timestamp = int(headers["X-Timestamp"])
    except ValueError:
        raise refusal(401, "X-Timestamp is not a number", headers["X-Device-Id"]) from None
    if abs(time.time() - timestamp) > settings.signature_max_skew:
        raise refusal(401, "request timestamp outside the allowed clock skew",
                    headers["X-Device-Id"])
    return headers


def remember_nonce(session: Session, terminal: Terminal, nonce: str,
                   settings: ServerSettings, *, purge: bool = True) -> None:
    """Record a nonce (sent, not committed); a nonce seen before is a replay. Nonces
    older than twice the allowed skew are purged first when purge is set."""
    now = utcnow()
    if purge:
        horizon = now - dt.timedelta(seconds=2 * settings.signature_max_skew)
        session.execute(delete(SeenNonce).where(SeenNonce.seen_at < horizon))
    try:
        session.flush()  # anything pending first, so a failure below is the nonce's
        session.connection().execute(_INSERT_NONCE, {"terminal_id": terminal.id, "nonce": nonce,
                                                     "seen_at": now})
    except IntegrityError:
        session.rollback()
        raise refusal(401, "replayed request (nonce already used)", terminal.device_id) from None


# What a route that does its own database work needs of the signing terminal, as a row.
SIGNER_COLUMNS = (Terminal.id, Terminal.device_id, Terminal.public_key, Terminal.status,
                  Terminal.hall_id, Terminal.last_seen_at)
_TOUCH = update(Terminal).where(Terminal.id == bindparam("terminal")).values(
    last_seen_at=bindparam("now"))


def check_signature(signer: Any, headers: dict[str, str], method: str, path: str,
                    body: bytes) -> None:
    """Refuse (401) unless signer (a row of SIGNER_COLUMNS, or None: unknown) signed this."""
    if signer is None:
        raise refusal(401, "unknown terminal", headers["X-Device-Id"])
    try:
        key = _public_key(signer.public_key)
    except ValueError:
        raise refusal(401, "signature does not verify", signer.device_id) from None
    if not verify_signature(key, headers, method, path, body):
        raise refusal(401, "signature does not verify", signer.device_id)


def record_new_nonce(connection: Connection, terminal_id: int, nonce: str,
                     settings: ServerSettings) -> bool:
    """Record a nonce in the connection's transaction (older ones purged every few seconds):
    False (nothing written) when it was used before, or earlier in this transaction; the
    transaction stays usable."""
    statement = _RAW_NEW_NONCE[connection.dialect.name]
    return statement.scalar(connection, _nonce_row(connection, terminal_id, nonce,
                                                   settings)) is not None


def _nonce_row(connection: Connection, terminal_id: int, nonce: str,
               settings: ServerSettings) -> dict[str, Any]:
    """The nonce's row, older nonces purged first every few seconds."""
    now = utcnow()
    if _purge_due():
        horizon = now - dt.timedelta(seconds=2 * settings.signature_max_skew)
        connection.execute(delete(SeenNonce).where(SeenNonce.seen_at < horizon))
    return {"terminal_id": terminal_id, "nonce": nonce, "seen_at": now}


def touch(connection: Connection, signer: Any, now: dt.datetime) -> None:
    """Write the signer's last_seen_at when it is LAST_SEEN_EVERY old (not on every request)."""
    seen = signer.last_seen_at
    if seen is None or now - as_utc(seen) >= LAST_SEEN_EVERY:
        connection.execute(_TOUCH, {"terminal": signer.id, "now": now})


def _purge_due() -> bool:
    # Purging on every request costs a DELETE on the busiest path; every few seconds is enough.
    global _purged_at
    if time.monotonic() - _purged_at > NONCE_PURGE_SECONDS:
        _purged_at = time.monotonic()
        return True
    return False


def path_of(request: Request) -> str:
    """The path and query that were signed."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def signed_terminal(request: Request, session: Session,
                          settings: ServerSettings) -> tuple[Terminal, bool]:
    """The terminal that signed this request, whatever its status (nonce recorded, not
    committed), and whether commands wait for it: one query for both, on the busiest path."""
    headers, body = await verified_request(request, session, settings)
    row = session.execute(_SIGNED_TERMINAL, {"device": headers["X-Device-Id"],
                                             "now": utcnow()}).first()
    if row is None:
        raise refusal(401, "unknown terminal", headers["X-Device-Id"])
    terminal, waiting = row
    try:
        key = _public_key(terminal.public_key)
    except ValueError:
        raise refusal(401, "signature does not verify", terminal.device_id) from None
    if not verify_signature(key, headers, request.method, path_of(request), body):
        raise refusal(401, "signature does not verify", terminal.device_id)
    remember_nonce(session, terminal, headers["X-Nonce"], settings, purge=_purge_due())
    return terminal, bool(waiting)


async def accepted_terminal(request: Request, session: Session,
                            settings: ServerSettings) -> tuple[Terminal, bool]:
    """signed_terminal, refused (403, nonce committed) unless the terminal is accepted."""
    terminal, waiting = await signed_terminal(request, session, settings)
    if terminal.status != "accepted":
        session.commit()
        raise refusal(403, f"terminal {terminal.status}", terminal.device_id)
    return terminal, waiting


async def current_terminal(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    settings: Annotated[ServerSettings, Depends(get_settings)],
) -> Terminal:
    """The accepted terminal that signed this request (401 bad signature, 403 not accepted)."""
    terminal, _waiting = await accepted_terminal(request, session, settings)
    now = utcnow()
    seen = terminal.last_seen_at
    if seen is None or now - as_utc(seen) >= LAST_SEEN_EVERY:  # not an UPDATE per request
        terminal.last_seen_at = now
    session.commit()
    return terminal
