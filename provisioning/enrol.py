"""Enrol this terminal with the central server and keep its enrolment state up to date.

With a token the server accepts the terminal at once; without one it waits as
pending until IT accepts or rejects it, and :func:`enrol` polls meanwhile.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devices.status import DeviceState, StatusTracker
from provisioning.client import ServerRefused, ServerUnavailable, TerminalClient
from provisioning.identity import EnrolmentState, TerminalIdentity, load_state, save_state

log = logging.getLogger(__name__)
POLL_SECONDS = 15.0


class EnrolmentError(Exception):
    """The server refused the enrolment (bad token, bad request), with its reason."""


def enrolment_request(identity: TerminalIdentity, token: str | None = None) -> dict[str, Any]:
    """The body of POST /api/v1/enrol for this identity."""
    return {"public_key": base64.b64encode(identity.public_key).decode(),
            "identity": identity.facts, "token": token or None}


def _store(data_dir: Path, server_url: str, reply: dict[str, Any]) -> EnrolmentState:
    state = EnrolmentState(server_url=server_url, status=reply["status"], hall=reply.get("hall"),
                           profile=reply.get("profile"),
                           content_public_key=reply.get("content_public_key"))
    save_state(data_dir, state)
    return state


def request_enrolment(client: TerminalClient, identity: TerminalIdentity,
                      token: str | None = None) -> EnrolmentState:
    """Send the enrolment request once and save the answer."""
    try:
        reply = client.json_request("POST", "/api/v1/enrol",
                                    json=enrolment_request(identity, token))
    except ServerRefused as exc:
        raise EnrolmentError(exc.message) from None
    state = _store(identity.data_dir, client.server_url, reply)
    log.info("enrolment at %s: %s", client.server_url, state.status)
    return state


def refresh_enrolment(client: TerminalClient, data_dir: Path) -> EnrolmentState:
    """Ask the server for this terminal's current enrolment status and save it."""
    reply = client.json_request("GET", "/api/v1/enrolment")
    return _store(Path(data_dir), client.server_url, reply)


def mark_revoked(data_dir: Path | str, message: str = "revoked by the server") -> None:
    """Record in the saved state that the server cut this terminal off."""
    state = load_state(data_dir)
    state.status, state.message = "revoked", message
    save_state(data_dir, state)


def watch_revocation(client: TerminalClient, data_dir: Path | str,
                     on_revoked: Callable[[], None] | None = None) -> None:
    """Save the revoked state (and tell the app) when the client hears "terminal revoked"."""
    def revoked() -> None:
        mark_revoked(data_dir)
        if on_revoked is not None:
            on_revoked()

    client.on_revoked(revoked)


def enrol(server_url: str, data_dir: Path | str, token: str | None = None, *,
          poll_interval: float = POLL_SECONDS, wait: float | None = None,
          stop: threading.Event | None = None, timeout: float = 10,
          on_status: Callable[[EnrolmentState], None] | None = None) -> EnrolmentState:
    """Enrol, then poll while pending (up to wait seconds, forever when None, until stop)."""
    data_dir = Path(data_dir)
    identity = TerminalIdentity.load_or_create(data_dir)
    stop = stop or threading.Event()
    tracker = StatusTracker("server", log)
    with TerminalClient(server_url, identity, timeout=timeout) as client:
        state = request_enrolment(client, identity, token)
        if on_status is not None:
            on_status(state)
        deadline = None if wait is None else time.monotonic() + wait
        while state.status == "pending" and not stop.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                break
            remaining = poll_interval if deadline is None else max(
                0.0, min(poll_interval, deadline - time.monotonic()))
            if stop.wait(remaining):
                break
            try:
                fresh = refresh_enrolment(client, data_dir)
            except ServerUnavailable as exc:
                tracker.update(DeviceState.OFFLINE, str(exc))
                continue
            tracker.update(DeviceState.OK)
            if fresh.status != state.status and on_status is not None:
                on_status(fresh)
            state = fresh
    return state
