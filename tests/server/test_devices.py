"""The devices API on SQLite and PostgreSQL: enrolment, signatures, heartbeat, commands, outbox."""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from protocol.signing import device_id, public_key_bytes, sign_request
from provisioning.client import ServerRefused, TerminalClient
from provisioning.enrol import enrol as enrol_terminal
from provisioning.heartbeat import HeartbeatAgent
from provisioning.identity import TerminalIdentity, load_state
from server.fleet import terminal_config as fleet_terminal_config
from server.fleet.commands import queue_command
from server.fleet.errors import FleetError
from server.fleet.heartbeats import is_online
from server.fleet.terminal_config import store_config
from server.models import (
    Alert,
    Command,
    ConfigProfile,
    EnrolmentToken,
    OutboxReceipt,
    SeenNonce,
    Terminal,
)
from server.settings import ServerSettings
from tests.provisioning.live_server import live_server, make_hall, make_token, set_status
from tests.provisioning.signed import (
    body_of,
    count,
    enrol,
    heartbeat,
    heartbeat_report,
    send,
    terminal_row,
)


@pytest.fixture
def server_url(server_app: FastAPI) -> Iterator[str]:
    """The application served over real HTTP on loopback."""
    with live_server(server_app) as url:
        yield url


@pytest.fixture
def key(server_app: FastAPI, client: TestClient) -> Ed25519PrivateKey:
    """An accepted terminal's key."""
    key = Ed25519PrivateKey.generate()
    assert enrol(client, key, make_token(server_app)).json()["status"] == "accepted"
    return key


# Enrolment over real HTTP -------------------------------------------------------------------

def test_enrolment_with_token_is_accepted_at_once(server_app: FastAPI, server_url: str,
                                                  tmp_path: Path) -> None:
    state = enrol_terminal(server_url, tmp_path / "t", make_token(server_app, "robot"))
    assert (state.status, state.hall, state.profile) == ("accepted", "H-001", "robot")
    assert load_state(tmp_path / "t") == state
    identity = TerminalIdentity.load_or_create(tmp_path / "t")
    row = terminal_row(server_app, identity.private_key)
    assert row is not None and row.status == "accepted" and row.decided_at is not None
    assert row.identity["hostname"] == identity.facts["hostname"]


def test_enrolment_without_token_waits_until_accepted(server_app: FastAPI, server_url: str,
                                                      tmp_path: Path) -> None:
    seen: list[str] = []
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(enrol_terminal(
        server_url, tmp_path / "t", poll_interval=0.1, wait=20,
        on_status=lambda state: seen.append(state.status)).status))
    worker.start()
    identity = TerminalIdentity.load_or_create(tmp_path / "t")
    deadline = time.monotonic() + 10
    while not seen:  # the terminal has heard "pending" (and saved it) before telling us
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert terminal_row(server_app, identity.private_key) is not None
    assert load_state(tmp_path / "t").status == "pending"
    set_status(server_app, identity.device_id, "accepted")  # what the console's accept does
    worker.join(20)
    assert result == ["accepted"] and seen == ["pending", "accepted"]
    assert load_state(tmp_path / "t").hall == "H-001"


def test_revoked_terminal_is_cut_off_at_its_next_request(server_app: FastAPI, server_url: str,
                                                         tmp_path: Path) -> None:
    enrol_terminal(server_url, tmp_path / "t", make_token(server_app))
    identity = TerminalIdentity.load_or_create(tmp_path / "t")
    told: list[bool] = []
    with TerminalClient(server_url, identity, retries=0) as client:
        agent = HeartbeatAgent(client, tmp_path / "t", on_revoked=lambda: told.append(True))
        assert agent.beat()
        set_status(server_app, identity.device_id, "revoked")
        assert not agent.beat()
        assert client.revoked and told == [True]
        assert load_state(tmp_path / "t").status == "revoked"
        nonces = count(server_app, SeenNonce)
        assert not agent.beat()  # nothing more is sent
        with pytest.raises(ServerRefused, match="revoked"):
            client.request("GET", "/api/v1/enrolment")
        assert count(server_app, SeenNonce) == nonces
        assert not agent.start()


def test_two_terminals_racing_for_one_token_one_wins(server_app: FastAPI, server_url: str,
                                                     tmp_path: Path) -> None:
    token = make_token(server_app)
    outcomes: list[str] = []

    def attempt(name: str) -> None:
        try:
            outcomes.append(enrol_terminal(server_url, tmp_path / name, token).status)
        except Exception as exc:
            outcomes.append(str(exc))

    workers = [threading.Thread(target=attempt, args=(f"t{i}",)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(outcomes) == ["accepted"] + ["enrolment token already used"] * 3
    assert count(server_app, Terminal) == 1


# Enrolment refusals --------------------------------------------------------------------------

def test_expired_reused_and_unknown_tokens_are_refused(server_app: FastAPI,
                                                       client: TestClient) -> None:
    token = make_token(server_app)
    with server_app.state.database.sessions() as session:
        session.execute(update(EnrolmentToken).values(
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
        session.commit()
    response = enrol(client, Ed25519PrivateKey.generate(), token)
    assert response.status_code == 403 and response.json()["detail"] == "enrolment token expired"
    assert count(server_app, Terminal) == 0

    token = make_token(server_app)
    assert enrol(client, Ed25519PrivateKey.generate(), token).json()["status"] == "accepted"
    response = enrol(client, Ed25519PrivateKey.generate(), token)
    assert (response.status_code, response.json()["detail"]) == (
        403, "enrolment token already used")
    response = enrol(client, Ed25519PrivateKey.generate(), "AAAAA-BBBBB-CCCCC-DDDDD")
    assert (response.status_code, response.json()["detail"]) == (403, "unknown enrolment token")
    assert count(server_app, Terminal) == 1


def test_reenrolling_a_known_key_returns_its_status(server_app: FastAPI,
                                                    client: TestClient) -> None:
    key = Ed25519PrivateKey.generate()
    assert enrol(client, key).json()["status"] == "pending"
    assert enrol(client, key).json()["status"] == "pending"
    token = make_token(server_app)
    assert enrol(client, key, token).json()["status"] == "accepted"  # a token promotes it
    again = enrol(client, key, make_token(server_app)).json()
    assert again["status"] == "accepted" and again["hall"] == "H-001"
    with server_app.state.database.sessions() as session:  # the second token stays unused
        assert session.scalar(select(func.count()).select_from(EnrolmentToken)
                              .where(EnrolmentToken.used_at.is_(None))) == 1
    assert count(server_app, Terminal) == 1


def test_enrolment_must_be_signed_by_the_presented_key(server_app: FastAPI,
                                                       client: TestClient) -> None:
    presented, signer = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    payload = {"public_key": base64.b64encode(public_key_bytes(presented)).decode(),
               "identity": {"hostname": "x"}, "token": make_token(server_app)}
    response = send(client, signer, "POST", "/api/v1/enrol", body_of(payload))
    assert response.status_code == 401
    assert "sha256 of the public key" in response.json()["detail"]
    assert count(server_app, Terminal) == 0


def test_status_of_pending_and_rejected_terminals(server_app: FastAPI,
                                                  client: TestClient) -> None:
    key = Ed25519PrivateKey.generate()
    enrol(client, key)
    assert send(client, key, "GET", "/api/v1/enrolment").json()["status"] == "pending"
    response = heartbeat(client, key)
    assert (response.status_code, response.json()["detail"]) == (403, "terminal pending")
    set_status(server_app, device_id(public_key_bytes(key)), "rejected")
    view = send(client, key, "GET", "/api/v1/enrolment").json()
    assert (view["status"], view["hall"], view["profile"]) == ("rejected", None, None)


# Forged requests -----------------------------------------------------------------------------

def test_forged_signatures_are_refused_and_store_nothing(server_app: FastAPI, client: TestClient,
                                                         key: Ed25519PrivateKey) -> None:
    body = body_of(heartbeat_report(screen="forged"))
    other = Ed25519PrivateKey.generate()
    wrong_key = send(client, other, "POST", "/api/v1/heartbeat", body,
                     headers={"X-Device-Id": device_id(public_key_bytes(key))})
    tampered_body = send(client, key, "POST", "/api/v1/heartbeat", body,
                         sign_body=body_of(heartbeat_report()))
    tampered_path = send(client, key, "POST", "/api/v1/heartbeat", body,
                         sign_path="/api/v1/enrolment")
    stale = send(client, key, "POST", "/api/v1/heartbeat", body, now=time.time() - 3600)
    unsigned = client.post("/api/v1/heartbeat", content=body)
    for response in (wrong_key, tampered_body, tampered_path, stale, unsigned):
        assert response.status_code == 401, response.text
    assert "clock skew" in stale.json()["detail"]
    assert "missing signature" in unsigned.json()["detail"]
    row = terminal_row(server_app, key)
    assert row is not None and row.health == {}

    headers = {**sign_request(key, "POST", "/api/v1/heartbeat", body),
               "Content-Type": "application/json"}
    assert client.post("/api/v1/heartbeat", content=body, headers=headers).status_code == 200
    replay = client.post("/api/v1/heartbeat", content=body, headers=headers)
    assert replay.status_code == 401 and "replayed" in replay.json()["detail"]


def test_malformed_and_oversized_bodies(server_app: FastAPI, client: TestClient,
                                        key: Ed25519PrivateKey,
                                        settings: ServerSettings) -> None:
    broken = send(client, key, "POST", "/api/v1/heartbeat", b'{"app_version": ')
    assert broken.status_code == 422 and broken.json()["error"] == "invalid request"
    wrong = send(client, key, "POST", "/api/v1/heartbeat",
                 body_of(heartbeat_report(uptime="long", disk_free=-1, extra=1)))
    fields = {detail["field"] for detail in wrong.json()["details"]}
    assert wrong.status_code == 422 and {"body.uptime", "body.disk_free", "body.extra"} <= fields
    huge = body_of(heartbeat_report(last_error="x" * settings.max_json_bytes))
    response = send(client, key, "POST", "/api/v1/heartbeat", huge)
    assert response.status_code == 413 and "too large" in response.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the stream itself is cut off
        for _ in range(settings.max_json_bytes // 65536 + 2):
            yield b" " * 65536

    streamed = client.post("/api/v1/outbox", content=chunks(),
                           headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    row = terminal_row(server_app, key)
    assert row is not None and row.health == {}


def test_values_no_database_can_store_are_refused_not_failed(
        server_app: FastAPI, client: TestClient, key: Ed25519PrivateKey) -> None:
    item = {"key": str(uuid.uuid4()), "kind": "usage", "payload": {"v": 1},
            "created_at": "2026-11-23T08:00:00Z"}
    not_a_number = body_of({"items": [item]}).replace(b'"v":1', b'"v":NaN')
    assert send(client, key, "POST", "/api/v1/outbox", not_a_number).status_code == 422
    assert send(client, key, "POST", "/api/v1/commands/1/ack",
                b'{"ok":true,"result":{"x":Infinity}}').status_code == 422
    assert send(client, key, "POST", "/api/v1/commands/99999999999999999999/ack",
                body_of({"ok": True})).status_code == 422
    nul = heartbeat(client, key, printer={"state": "error", "message": "jam\u0000"},
                    last_error="sync failed\u0000", disk_free=10**30)
    assert nul.status_code == 200
    with_nul = {**item, "key": str(uuid.uuid4()), "payload": {"text": "a\u0000b"}}
    assert send(client, key, "POST", "/api/v1/outbox",
                body_of({"items": [with_nul]})).status_code == 200


# Heartbeat, config, alerts -------------------------------------------------------------------

def test_heartbeat_stores_health_and_returns_config_and_commands(
        server_app: FastAPI, client: TestClient, key: Ed25519PrivateKey,
        settings: ServerSettings) -> None:
    row = terminal_row(server_app, key)
    assert row is not None and row.hall_id is not None
    with server_app.state.database.sessions() as session:
        store_config(session, "hall", {"speech": {"rate": 150}}, hall_id=row.hall_id)
        store_config(session, "profile", {"speech": {"rate": 160}, "idle": {"timeout": 90}},
                     hall_id=row.hall_id, profile="query")
        store_config(session, "terminal", {"printer": {"kind": "network",
                                                       "address": "10.0.0.9:9100"}},
                     terminal_id=row.id)
        live = queue_command(session, row.id, "show_message", {"text": "暂停服务"})
        expired = queue_command(session, row.id, "test_print", ttl_seconds=1)
        expired.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
        session.commit()
    reply = heartbeat(client, key).json()
    settings_pushed = reply["config"]["settings"]
    assert settings_pushed["speech"]["rate"] == 160 and settings_pushed["idle"]["timeout"] == 90
    assert settings_pushed["printer"] == {"kind": "network", "address": "10.0.0.9:9100"}
    assert [c["id"] for c in reply["commands"]] == [live.id]
    assert reply["commands"][0]["payload"] == {"text": "暂停服务", "seconds": 30}
    assert reply["heartbeat_interval"] == 30
    stored = terminal_row(server_app, key)
    assert stored is not None and stored.health["screen"] == "home"
    assert stored.last_seen_at is not None
    assert is_online(stored, dt.datetime.now(dt.UTC), settings)
    assert not is_online(stored, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=91), settings)

    again = heartbeat(client, key, config_version=reply["config"]["version"]).json()
    assert again["config"] == {"version": reply["config"]["version"], "settings": None}
    assert again["commands"] == []  # delivered once, not again while fresh
    # A change in this process reaches the next heartbeat at once (nothing cached stale).
    with server_app.state.database.sessions() as session:
        store_config(session, "profile", {"speech": {"rate": 170}}, hall_id=row.hall_id,
                     profile="query")
        session.commit()
    changed = heartbeat(client, key, config_version=reply["config"]["version"]).json()
    assert changed["config"]["version"] != reply["config"]["version"]
    assert changed["config"]["settings"]["speech"]["rate"] == 170
    assert "idle" not in changed["config"]["settings"]  # the profile scope replaced whole


def test_invalid_config_is_refused_before_it_is_stored(server_app: FastAPI) -> None:
    hall_id = make_hall(server_app)
    with server_app.state.database.sessions() as session:
        with pytest.raises(FleetError, match=r"\[printer\] a usb printer needs"):
            store_config(session, "hall", {"printer": {"kind": "usb"}}, hall_id=hall_id)
        with pytest.raises(FleetError, match="needs terminal_id"):
            store_config(session, "terminal", {})


def test_scopes_stored_in_the_old_flat_shape_still_reach_the_terminal(
        server_app: FastAPI, client: TestClient, key: Ed25519PrivateKey) -> None:
    row = terminal_row(server_app, key)
    assert row is not None and row.hall_id is not None
    with server_app.state.database.sessions() as session:
        # As schema 1 stored it: top-level keys beside the sections.
        session.add(ConfigProfile(scope="hall", hall_id=row.hall_id, version=1, settings={
            "languages": ["zh_CN"], "opening_hours": {"mon": ["09:00-12:00"]},
            "content_channel": "pilot", "speech": {"rate": 150}}))
        session.commit()
        fleet_terminal_config._config_cache.clear()
    pushed = heartbeat(client, key).json()["config"]["settings"]
    assert pushed["service"] == {"languages": ["zh_CN"], "opening_hours": {"mon": ["09:00-12:00"]}}
    assert pushed["terminal"]["content_channel"] == "pilot" and pushed["speech"]["rate"] == 150


def test_health_raises_and_clears_alerts(server_app: FastAPI, client: TestClient,
                                         key: Ed25519PrivateKey) -> None:
    def open_alerts() -> set[str]:
        with server_app.state.database.sessions() as session:
            return set(session.scalars(select(Alert.kind).where(Alert.cleared_at.is_(None))))

    heartbeat(client, key, printer={"state": "error", "message": "paper out"},
              disk_free=100_000_000, last_error="content sync failed: bad signature")
    assert open_alerts() == {"printer", "disk", "sync"}
    heartbeat(client, key, printer={"state": "error", "message": "paper out"})
    assert open_alerts() == {"printer"} and count(server_app, Alert) == 3
    heartbeat(client, key)
    assert open_alerts() == set()


# Commands ------------------------------------------------------------------------------------

def test_command_ack_is_idempotent_and_private(server_app: FastAPI, client: TestClient,
                                               key: Ed25519PrivateKey) -> None:
    row = terminal_row(server_app, key)
    assert row is not None
    with server_app.state.database.sessions() as session:
        command = queue_command(session, row.id, "set_log_level", {"level": "DEBUG"})
        session.commit()
    path = f"/api/v1/commands/{command.id}/ack"
    other = Ed25519PrivateKey.generate()
    enrol(client, other, make_token(server_app))
    assert send(client, other, "POST", path, body_of({"ok": True})).status_code == 404
    first = send(client, key, "POST", path, body_of({"ok": True, "result": {"level": "DEBUG"}}))
    assert first.status_code == 200 and first.json()["duplicate"] is False
    second = send(client, key, "POST", path, body_of({"ok": False}))
    assert second.json()["duplicate"] is True
    assert send(client, key, "POST", "/api/v1/commands/999999/ack",
                body_of({"ok": True})).status_code == 404
    with server_app.state.database.sessions() as session:
        stored = session.get(Command, command.id)
        assert stored is not None and stored.result == {"level": "DEBUG", "ok": True}


def test_screenshot_upload(server_app: FastAPI, client: TestClient,
                           key: Ed25519PrivateKey) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 1000
    path = "/api/v1/terminals/screenshot"
    response = send(client, key, "POST", path, png, headers={"Content-Type": "image/png"})
    assert response.status_code == 200 and response.json() == {"size": len(png)}
    row = terminal_row(server_app, key)
    assert row is not None and row.screenshot == png
    assert send(client, key, "POST", path, b"GIF89a").status_code == 415
    big = png + b"\0" * 5_000_000
    assert send(client, key, "POST", path, big).status_code == 413


# Outbox --------------------------------------------------------------------------------------

def test_outbox_receipts_are_stored_exactly_once(server_app: FastAPI, client: TestClient,
                                                 key: Ed25519PrivateKey) -> None:
    items = [{"key": str(uuid.uuid4()), "kind": "usage.screen", "payload": {"screen": "home"},
              "created_at": "2026-11-23T08:00:00+00:00"} for _ in range(3)]
    first = send(client, key, "POST", "/api/v1/outbox", body_of({"items": items[:2]})).json()
    assert first == {"accepted": [items[0]["key"], items[1]["key"]], "duplicates": []}
    retry = send(client, key, "POST", "/api/v1/outbox", body_of({"items": items})).json()
    assert retry == {"accepted": [items[2]["key"]],
                     "duplicates": [items[0]["key"], items[1]["key"]]}
    assert count(server_app, OutboxReceipt) == 3
    bad = send(client, key, "POST", "/api/v1/outbox",
               body_of({"items": [{**items[0], "key": "not-a-uuid"}]}))
    assert bad.status_code == 422
