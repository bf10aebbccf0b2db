"""Enrolment of terminals: one-time tokens, enrolment requests, the cap on pending ones, and
what a terminal learns of its enrolment.

Functions take a session and leave committing to the caller unless they say
otherwise; they raise :class:`~server.fleet.errors.FleetError` with an HTTP status for
refusals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content.signing import public_key_file_text
from protocol import config as schema
from server.fleet.errors import FleetError
from server.models import EnrolmentToken, Hall, SeenNonce, Terminal, utcnow
from server.settings import ServerSettings

log = logging.getLogger(__name__)
TOKEN_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: typed on a keypad
PENDING_CAP_MESSAGE = ("待审核的终端注册申请已达上限（{cap} 个），请运维管理员先在终端管理中接受或"
                      "拒绝。Too many terminals are waiting for acceptance ({cap}); IT must "
                      "accept or reject some first.")


def token_hash(token: str) -> str:
    """How a token is stored: sha256 hex of its canonical form (no case, dashes or spaces)."""
    return hashlib.sha256("".join(token.split()).replace("-", "").upper().encode()).hexdigest()


def create_enrolment_token(session: Session, hall_id: int, profile: str,
                           hours: int) -> tuple[str, EnrolmentToken]:
    """A new one-time token for a hall and profile; only its hash is stored. Commits."""
    if profile not in schema.PROFILES:
        raise FleetError(422, f"unknown profile {profile!r}; known: "
                         f"{', '.join(schema.PROFILES)}")
    if session.get(Hall, hall_id) is None:
        raise FleetError(404, f"no hall with id {hall_id}")
    raw = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(20))
    token = "-".join(raw[i:i + 5] for i in range(0, 20, 5))
    row = EnrolmentToken(token_hash=token_hash(token), hall_id=hall_id, profile=profile,
                         expires_at=utcnow() + dt.timedelta(hours=hours))
    session.add(row)
    session.commit()
    return token, row


def _claim_token(session: Session, token: str, now: dt.datetime) -> EnrolmentToken:
    """Mark a token used in one conditional UPDATE: of two racing terminals one wins."""
    digest = token_hash(token)
    claimed = session.scalar(
        update(EnrolmentToken)
        .where(EnrolmentToken.token_hash == digest, EnrolmentToken.used_at.is_(None),
               EnrolmentToken.expires_at > now)
        .values(used_at=now).returning(EnrolmentToken))
    if isinstance(claimed, EnrolmentToken):
        return claimed
    row = session.scalar(select(EnrolmentToken).where(EnrolmentToken.token_hash == digest))
    session.rollback()
    if row is None:
        raise FleetError(403, "unknown enrolment token")
    if row.used_at is not None:
        raise FleetError(403, "enrolment token already used")
    raise FleetError(403, "enrolment token expired")


def enrol_terminal(session: Session, device: str, public_key: str, identity: dict[str, str],
                   token: str | None) -> Terminal:
    """Find or create the terminal of a key; a valid token accepts it at once (flushed)."""
    now = utcnow()
    terminal = session.scalar(select(Terminal).where(Terminal.device_id == device))
    if terminal is not None and (terminal.status != "pending" or not token):
        return terminal  # idempotent: a known key gets its status; a token promotes a pending one
    claimed = _claim_token(session, token, now) if token else None
    if terminal is None:
        terminal = Terminal(device_id=device, public_key=public_key, status="pending",
                            identity=identity, requested_at=now)
        session.add(terminal)
    if claimed is not None:
        terminal.status, terminal.hall_id, terminal.profile = ("accepted", claimed.hall_id,
                                                               claimed.profile)
        terminal.decided_at = now
    try:
        session.flush()
    except IntegrityError:  # the same key enrolling twice at once: the other request won
        session.rollback()
        return session.scalars(select(Terminal).where(Terminal.device_id == device)).one()
    if claimed is not None:
        claimed.used_by = terminal.id
    log.info("terminal %s enrolled: %s", device[:12], terminal.status)
    return terminal


def is_known_device(session: Session, device: str) -> bool:
    """Whether a terminal with this key has asked to enrol before."""
    return session.scalar(select(Terminal.id).where(Terminal.device_id == device)) is not None


def hold_to_pending_cap(session: Session, terminal: Terminal, cap: int) -> None:
    """Take back a just committed pending terminal when more than cap are pending, and
    refuse it (429). Counted after the commit, so requests racing from several processes
    see each other: both may be refused, never both kept over the cap. Commits."""
    if terminal.status != "pending":
        return
    pending = session.scalar(select(func.count()).select_from(Terminal).where(
        Terminal.status == "pending")) or 0
    if pending <= cap:
        return
    session.execute(delete(SeenNonce).where(SeenNonce.terminal_id == terminal.id))
    session.execute(delete(Terminal).where(Terminal.id == terminal.id))
    session.commit()
    log.warning("enrolment of %s refused: %d terminals pending (cap %d)",
                terminal.device_id[:12], pending - 1, cap)
    raise FleetError(429, PENDING_CAP_MESSAGE.format(cap=cap))


def enrolment_view(session: Session, terminal: Terminal,
                   settings: ServerSettings) -> dict[str, Any]:
    """What a terminal learns about its enrolment."""
    hall = session.get(Hall, terminal.hall_id) if terminal.hall_id is not None else None
    accepted = terminal.status == "accepted"
    return {"device_id": terminal.device_id, "status": terminal.status,
            "hall": hall.code if hall and accepted else None,
            "profile": terminal.profile if accepted else None,
            # The key itself (base64), not the server's path to its file.
            "content_public_key": public_key_file_text(settings.content_public_key)}
