"""Routes of the devices area: enrolment, heartbeat, command acks, screenshots, outbox.

Every route is signed by the terminal (protocol/signing.py). Bodies are capped before
they are read (server/body_limit.py): batches and reports at ``max_json_bytes``,
screenshots at 5 MB, enrolment at ``max_body_bytes``; a larger body is refused with 413.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from protocol.signing import device_id, verify_signature
from protocol.terminal import (
    Acknowledgement,
    AckReply,
    EnrolmentRequest,
    EnrolmentView,
    HeartbeatReply,
    HeartbeatReport,
    OutboxBatch,
    OutboxReply,
)
from server.deps import PathId, get_session, get_settings
from server.fleet import commands as fleet_commands
from server.fleet import enrolment as fleet_enrolment
from server.fleet import heartbeats as fleet_heartbeats
from server.fleet import outbox as fleet_outbox
from server.fleet.errors import FleetError
from server.models import Terminal, utcnow
from server.rate_limits import RateLimited, admit_anonymous
from server.settings import ServerSettings
from server.terminal_auth import (
    accepted_terminal,
    current_terminal,
    path_of,
    refusal,
    remember_nonce,
    signed_terminal,
    verified_request,
)

log = logging.getLogger(__name__)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[ServerSettings, Depends(get_settings)]


async def loop_session(request: Request) -> AsyncIterator[Session]:
    """A session used on the event loop only (get_session runs in the thread pool)."""
    # On the heartbeat path, hops between the loop and pool threads fighting over the GIL
    # while the database answers cost more than the work itself (measured: bench/).
    with request.app.state.database.sessions() as session:
        yield session


async def loop_settings(request: Request) -> ServerSettings:
    """The server's settings, without a thread-pool hop."""
    settings: ServerSettings = request.app.state.settings
    return settings


LoopSessionDep = Annotated[Session, Depends(loop_session)]
LoopSettingsDep = Annotated[ServerSettings, Depends(loop_settings)]
router = APIRouter(tags=["devices"])
TerminalDep = Annotated[Terminal, Depends(current_terminal)]


class ScreenshotStored(BaseModel):
    """The screenshot kept: its size in bytes."""

    size: int




@router.post("/enrol")
async def enrol(request: Request, body: EnrolmentRequest, session: LoopSessionDep,
                settings: LoopSettingsDep) -> EnrolmentView:
    """Enrol a terminal by its key: accepted at once with a valid token, else pending."""
    headers, raw = await verified_request(request, session, settings)
    public_key = base64.b64decode(body.public_key)
    device = device_id(public_key)
    if headers["X-Device-Id"] != device:
        raise refusal(401, "X-Device-Id is not the sha256 of the public key", device)
    if not verify_signature(public_key, headers, request.method, path_of(request), raw):
        raise refusal(401, "signature does not verify with the enrolling key", device)
    # A new key without a token asks IT to accept it: anyone can ask, so asking is limited
    # per address and the pending requests are capped (a token enrols at once, unlimited).
    new_request = not body.token and not fleet_enrolment.is_known_device(session, device)
    try:
        if new_request:
            admit_anonymous(request, session, "enrolment", None)
        terminal = fleet_enrolment.enrol_terminal(session, device, body.public_key,
                                                  body.identity.model_dump(), body.token)
        remember_nonce(session, terminal, headers["X-Nonce"], settings)
        session.commit()
        if new_request:
            fleet_enrolment.hold_to_pending_cap(session, terminal,
                                                settings.pending_enrolments_allowed)
    except FleetError as exc:
        raise refusal(exc.status, exc.message) from None
    except RateLimited as exc:
        raise HTTPException(status_code=429, detail=exc.both,
                            headers={"Retry-After": str(exc.retry_after)}) from None
    return EnrolmentView.model_validate(fleet_enrolment.enrolment_view(session, terminal, settings))


async def known_terminal(request: Request, session: LoopSessionDep,
                         settings: LoopSettingsDep) -> Terminal:
    """The terminal that signed this request, whatever its status."""
    terminal, _waiting = await signed_terminal(request, session, settings)
    session.commit()
    return terminal


async def beating_terminal(request: Request, session: LoopSessionDep,
                           settings: LoopSettingsDep) -> tuple[Terminal, bool]:
    """current_terminal for the heartbeat: the nonce commits with the heartbeat itself."""
    return await accepted_terminal(request, session, settings)


@router.get("/enrolment")
async def enrolment(terminal: Annotated[Terminal, Depends(known_terminal)],
                    session: LoopSessionDep, settings: LoopSettingsDep) -> EnrolmentView:
    """A terminal's enrolment status (answered for pending and rejected terminals too)."""
    return EnrolmentView.model_validate(fleet_enrolment.enrolment_view(session, terminal, settings))


@router.post("/heartbeat")
async def heartbeat(body: HeartbeatReport,
                    beat: Annotated[tuple[Terminal, bool], Depends(beating_terminal)],
                    session: LoopSessionDep, settings: LoopSettingsDep) -> HeartbeatReply:
    """Store a health report; reply with the config and the commands waiting."""
    return HeartbeatReply.model_validate(fleet_heartbeats.record_heartbeat(
        session, beat[0], body.model_dump(), settings, commands_waiting=beat[1]))


@router.post("/commands/{command_id}/ack")
async def acknowledge(command_id: PathId,
                      body: Acknowledgement, terminal: TerminalDep,
                      session: SessionDep) -> AckReply:
    """Record a command's outcome; acknowledging twice changes nothing."""
    try:
        command, duplicate = fleet_commands.acknowledge(session, terminal, command_id, body.ok,
                                                        body.result)
    except FleetError as exc:
        raise refusal(exc.status, exc.message) from None
    return AckReply.model_validate({"id": command.id, "acked_at": command.acked_at,
                                    "duplicate": duplicate})


@router.post("/outbox")
async def outbox(body: OutboxBatch, request: Request, terminal: TerminalDep,
                 session: SessionDep) -> OutboxReply:
    """Store outbox items (usage events, ratings, complaints) exactly once by key."""
    accepted, duplicates = fleet_outbox.receive_outbox(
        session, terminal, [item.model_dump(mode="json") for item in body.items],
        request.app.state.settings.follow_up_days, request.app.state.rating_reasons)
    return OutboxReply.model_validate({"accepted": accepted, "duplicates": duplicates})


@router.post("/terminals/screenshot", openapi_extra={"requestBody": {
    "required": True, "content": {"image/png": {"schema": {"type": "string",
                                                            "format": "binary"}}}}})
async def screenshot(request: Request, terminal: TerminalDep,
                     session: SessionDep) -> ScreenshotStored:
    """Store the terminal's latest screenshot (PNG, at most 5 MB)."""
    png = await request.body()
    if not png.startswith(PNG_SIGNATURE):
        raise HTTPException(status_code=415, detail="a screenshot must be a PNG image")
    terminal.screenshot = png
    terminal.health = {**(terminal.health or {}), "screenshot_at": utcnow().isoformat()}
    session.commit()
    return ScreenshotStored(size=len(png))


