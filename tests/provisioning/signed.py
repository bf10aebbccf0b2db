"""Signed requests through FastAPI's TestClient (control of every byte), and row look-ups."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from protocol.signing import device_id, public_key_bytes, sign_request
from server.models import Terminal

FACTS = {"hostname": "kiosk-01", "mac": "52:54:00:12:34:56", "serial": "SN-0001"}


def body_of(payload: Any) -> bytes:
    """JSON bytes of a payload, as a terminal sends them."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def send(client: TestClient, key: Ed25519PrivateKey, method: str, path: str,
         body: bytes = b"", headers: dict[str, str] | None = None,
         sign_path: str | None = None, sign_body: bytes | None = None,
         now: float | None = None) -> Response:
    """Sign (optionally a different path or body than sent) and send one request."""
    signature = sign_request(key, method, sign_path or path,
                             body if sign_body is None else sign_body, now=now)
    return client.request(method, path, content=body or None, headers={
        "Content-Type": "application/json", **signature, **(headers or {})})


def enrol(client: TestClient, key: Ed25519PrivateKey, token: str | None = None) -> Response:
    """POST /api/v1/enrol for key, signed with it."""
    payload = {"public_key": base64.b64encode(public_key_bytes(key)).decode(),
               "identity": FACTS, "token": token}
    return send(client, key, "POST", "/api/v1/enrol", body_of(payload))


def heartbeat_report(**changes: Any) -> dict[str, Any]:
    """A valid heartbeat body with some fields changed."""
    report: dict[str, Any] = {
        "app_version": "0.1.0", "content_version": "2026.11.01", "config_version": "",
        "uptime": 120, "screen": "home", "printer": {"state": "ok", "message": ""},
        "speech": {"state": "ok", "message": ""}, "disk_free": 8_000_000_000,
        "outbox_size": 0, "last_error": ""}
    report.update(changes)
    return report


def heartbeat(client: TestClient, key: Ed25519PrivateKey, **changes: Any) -> Response:
    """POST /api/v1/heartbeat with a valid report."""
    return send(client, key, "POST", "/api/v1/heartbeat", body_of(heartbeat_report(**changes)))


def terminal_row(app: FastAPI, key: Ed25519PrivateKey) -> Terminal | None:
    """The terminal of a key, read fresh from the database (every column loaded)."""
    with app.state.database.sessions() as session:
        return session.scalar(select(Terminal).options(undefer(Terminal.screenshot)).where(
            Terminal.device_id == device_id(public_key_bytes(key))))


def count(app: FastAPI, model: type) -> int:
    """Rows in a table."""
    with app.state.database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
