"""Authenticate a terminal's signed request (see provisioning/signing.py)."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from protocol.signing import HEADERS, verify_signature
from server.deps import get_session, get_settings
from server.models import SeenNonce, Terminal, utcnow
from server.settings import ServerSettings

log = logging.getLogger(__name__)


def _fail(status: int, message: str, device: str = "") -> HTTPException:
    log.warning("terminal request refused (%s): %s", device[:12] or "unknown", message)
    return HTTPException(status_code=status, detail=message)


async def verified_request(request: Request, session: Session,
                           settings: ServerSettings) -> tuple[dict[str, str], bytes]:
    """Check headers, timestamp and nonce; return the headers and the body (not the key)."""
    headers = {name: request.headers.get(name, "") for name in HEADERS}
    missing = [name for name, value in headers.items() if not value]
    if missing:
        raise _fail(401, f"missing signature header(s): {', '.join(missing)}")
    try:
        timestamp = int(headers["X-Timestamp"])
    except ValueError:
        raise _fail(401, "X-Timestamp is not a number", headers["X-Device-Id"]) from None
    if abs(time.time() - timestamp) > settings.signature_max_skew:
        raise _fail(401, "request timestamp outside the allowed clock skew",
                    headers["X-Device-Id"])
    return headers, await request.body()


def remember_nonce(session: Session, terminal: Terminal, nonce: str,
                   settings: ServerSettings) -> None:
    """Record a nonce; a nonce seen before is a replay."""
    horizon = utcnow() - dt.timedelta(seconds=2 * settings.signature_max_skew)
    session.execute(delete(SeenNonce).where(SeenNonce.seen_at < horizon))
    session.add(SeenNonce(terminal_id=terminal.id, nonce=nonce))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise _fail(401, "replayed request (nonce already used)", terminal.device_id) from None


def path_of(request: Request) -> str:
    """The path and query that were signed."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def current_terminal(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    settings: Annotated[ServerSettings, Depends(get_settings)],
) -> Terminal:
    """The accepted terminal that signed this request (401 bad signature, 403 not accepted)."""
    headers, body = await verified_request(request, session, settings)
    terminal = session.scalar(select(Terminal).where(Terminal.device_id == headers["X-Device-Id"]))
    if terminal is None:
        raise _fail(401, "unknown terminal", headers["X-Device-Id"])
    public_key = base64.b64decode(terminal.public_key)
    if not verify_signature(public_key, headers, request.method, path_of(request), body):
        raise _fail(401, "signature does not verify", terminal.device_id)
    remember_nonce(session, terminal, headers["X-Nonce"], settings)
    if terminal.status != "accepted":
        session.commit()
        raise _fail(403, f"terminal {terminal.status}", terminal.device_id)
    terminal.last_seen_at = utcnow()
    session.commit()
    return terminal
