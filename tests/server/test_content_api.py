"""Content API: publishing signed bundles (editor) and serving them to signed terminals."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from content.publish import PublishError, publish
from content.signing import (
    build_signed_bundle,
    generate_key,
    load_private_key,
    sign_bundle,
    sign_bytes,
    stamp_manifest,
)
from protocol.signing import device_id, public_key_bytes, sign_request
from server.models import Hall, Terminal, utcnow
from server.queue.hours import local_day
from server.queue.models import QueueEvent
from server.security import create_user
from server.settings import ServerSettings

SEED = Path(__file__).resolve().parents[2] / "content" / "seed"
PASSWORD = "correct horse battery"
API = "/api/v1"


@pytest.fixture
def content_key(tmp_path: Path) -> Path:
    """The content signing key; the server trusts its .pub."""
    path = tmp_path / "keys" / "content.key"
    generate_key(path)
    return path


@pytest.fixture
def settings(database_url: str, tmp_path: Path, content_key: Path) -> ServerSettings:
    """Settings that trust the content key, with a small upload limit."""
    return ServerSettings(database_url=database_url, storage_dir=tmp_path / "storage",
                          content_public_key=content_key.with_name("content.key.pub"),
                          max_upload_bytes=1_000_000)


@pytest.fixture
def bundle(tmp_path: Path, content_key: Path) -> Path:
    """The seed, built and signed."""
    out = tmp_path / "bundle"
    build_signed_bundle(SEED, out, key=load_private_key(content_key))
    return out


def add(app: FastAPI, *rows: object) -> None:
    """Insert rows directly in the database."""
    with app.state.database.sessions() as session, session.begin():
        session.add_all(rows)


def add_user(app: FastAPI, username: str, role: str) -> None:
    """An active account, created in the database."""
    with app.state.database.sessions() as session, session.begin():
        create_user(session, username, PASSWORD, role)


def sign_in(client: TestClient, username: str) -> dict[str, str]:
    """Sign in; return the CSRF header for unsafe requests."""
    response = client.post(f"{API}/session", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def add_terminal(app: FastAPI, hall: str | None = None) -> Ed25519PrivateKey:
    """An accepted terminal (in hall, when given); return its key."""
    key = Ed25519PrivateKey.generate()
    raw = public_key_bytes(key)
    with app.state.database.sessions() as session, session.begin():
        hall_id = session.query(Hall.id).filter(Hall.code == hall).scalar() if hall else None
        session.add(Terminal(device_id=device_id(raw), public_key=base64.b64encode(raw).decode(),
                             status="accepted", hall_id=hall_id))
    return key


def signed_get(client: TestClient, key: Ed25519PrivateKey, path: str, **headers: str):
    """A GET signed by the terminal's key."""
    return client.get(path, headers={**sign_request(key, "GET", path), **headers})


@pytest.fixture
def live_server(server_app: FastAPI) -> Iterator[str]:
    """The application served by uvicorn on a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(server_app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_publish_uploads_only_missing_files_and_records_the_bundle(
        server_app: FastAPI, live_server: str, bundle: Path, content_key: Path,
        settings: ServerSettings, tmp_path: Path) -> None:
    add_user(server_app, "editor", "editor")
    messages: list[str] = []
    record = publish(bundle, live_server, "editor", PASSWORD, progress=messages.append)
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    assert record["version"] == manifest["version"] and record["channel"] == "stable"
    assert any("uploading 5" in m for m in messages)
    for meta in manifest["files"].values():
        sha = meta["sha256"]
        stored = settings.storage_dir / "media" / sha[:2] / sha
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha
    # A new slide image: only that one file goes up again.
    source = tmp_path / "source"
    shutil.copytree(SEED, source)
    (source / "slides" / "welcome.png").write_bytes(
        (SEED / "slides" / "hotline.png").read_bytes() + b"\0")
    build_signed_bundle(source, bundle, key=load_private_key(content_key))
    messages.clear()
    publish(bundle, live_server, "editor", PASSWORD, progress=messages.append)
    assert any("4 of 5 files already on the server; uploading 1" in m for m in messages)
    with pytest.raises(PublishError, match="already published"):
        publish(bundle, live_server, "editor", PASSWORD, progress=messages.append)
    with pytest.raises(PublishError, match="sign-in: HTTP 401"):
        publish(bundle, live_server, "editor", "wrong password", progress=messages.append)


def test_publish_refuses_an_unsigned_bundle(live_server: str, tmp_path: Path) -> None:
    build_signed_bundle(SEED, tmp_path / "unsigned", key=None)
    with pytest.raises(PublishError, match="not signed"):
        publish(tmp_path / "unsigned", live_server, "editor", PASSWORD)


def _upload_all(client: TestClient, csrf: dict[str, str], bundle: Path) -> dict:
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    for name, meta in manifest["files"].items():
        response = client.put(f"{API}/content/files/{meta['sha256']}",
                              content=(bundle / name).read_bytes(), headers=csrf)
        assert response.status_code == 201, response.text
    return manifest


def _post_bundle(client: TestClient, csrf: dict[str, str], bundle: Path, **change: str):
    body = {"manifest": (bundle / "manifest.json").read_text("utf-8"),
            "signature": (bundle / "manifest.sig").read_text().strip(), **change}
    return client.post(f"{API}/content/bundles", json=body, headers=csrf)


def test_roles_csrf_and_bad_uploads_are_refused(server_app: FastAPI, client: TestClient,
                                                bundle: Path) -> None:
    add_user(server_app, "editor", "editor")
    add_user(server_app, "it", "it_admin")
    data = (bundle / "content.json").read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    assert client.put(f"{API}/content/files/{sha}", content=data).status_code == 401
    it_csrf = sign_in(client, "it")
    assert client.put(f"{API}/content/files/{sha}", content=data,
                      headers=it_csrf).status_code == 403
    assert client.get(f"{API}/content/bundles").status_code == 200  # it_admin may look
    csrf = sign_in(client, "editor")
    assert client.put(f"{API}/content/files/{sha}", content=data).status_code == 403  # no CSRF
    wrong = client.put(f"{API}/content/files/{'0' * 64}", content=data, headers=csrf)
    assert wrong.status_code == 400 and "sha256" in wrong.json()["detail"]
    big = b"x" * 1_000_001
    big_sha = hashlib.sha256(big).hexdigest()
    too_big = client.put(f"{API}/content/files/{big_sha}", content=big, headers=csrf)
    assert too_big.status_code == 413
    streamed = client.put(f"{API}/content/files/{big_sha}", headers=csrf,
                          content=iter([b"x" * 500_000, b"x" * 500_001]))
    assert streamed.status_code == 413
    assert client.put(f"{API}/content/files/NOTAHASH", content=data,
                      headers=csrf).status_code == 422
    assert client.post(f"{API}/content/files/missing", content=b"{not json",
                       headers={**csrf, "Content-Type": "application/json"}).status_code == 422
    assert client.post(f"{API}/content/bundles", content=b"[1,",
                       headers={**csrf, "Content-Type": "application/json"}).status_code == 422
    missing = client.post(f"{API}/content/files/missing", json={"hashes": [sha]}, headers=csrf)
    assert missing.json() == {"missing": [sha]}
    assert not list((server_app.state.settings.storage_dir / "tmp").iterdir())


def test_a_bundle_is_recorded_only_when_signed_complete_and_new(
        server_app: FastAPI, client: TestClient, bundle: Path, tmp_path: Path) -> None:
    add_user(server_app, "editor", "editor")
    csrf = sign_in(client, "editor")
    incomplete = _post_bundle(client, csrf, bundle)
    assert incomplete.status_code == 409 and "not uploaded" in incomplete.json()["detail"]
    manifest = _upload_all(client, csrf, bundle)
    text = (bundle / "manifest.json").read_text("utf-8")
    tampered = _post_bundle(client, csrf, bundle, manifest=text.replace("stable", "stablf"))
    assert tampered.status_code == 400 and "does not verify" in tampered.json()["detail"]
    other_key = tmp_path / "other.key"
    generate_key(other_key)
    forged = _post_bundle(client, csrf, bundle,
                          signature=sign_bytes(load_private_key(other_key), text.encode()))
    assert forged.status_code == 400
    assert _post_bundle(client, csrf, bundle).status_code == 201
    assert _post_bundle(client, csrf, bundle).status_code == 409  # same version again
    listed = client.get(f"{API}/content/bundles").json()["bundles"]
    assert [(b["version"], b["channel"], b["hall"], b["files"]) for b in listed] == [
        (manifest["version"], "stable", None, 5)]
    assert listed[0]["published_by"] == "editor"


def test_no_public_key_configured_refuses_publishing(server_app: FastAPI, client: TestClient,
                                                      bundle: Path) -> None:
    server_app.state.settings = server_app.state.settings.model_copy(
        update={"content_public_key": None})
    add_user(server_app, "editor", "editor")
    response = _post_bundle(client, sign_in(client, "editor"), bundle)
    assert response.status_code == 409 and "public key" in response.json()["detail"]


def test_terminals_get_the_manifest_with_etag_304_and_ranges(
        server_app: FastAPI, client: TestClient, bundle: Path) -> None:
    add_user(server_app, "editor", "editor")
    csrf = sign_in(client, "editor")
    path = f"{API}/content/manifest?channel=stable"
    key = add_terminal(server_app)
    assert signed_get(client, key, path).status_code == 404  # nothing published yet
    manifest = _upload_all(client, csrf, bundle)
    assert _post_bundle(client, csrf, bundle).status_code == 201
    assert client.get(path).status_code == 401  # unsigned
    response = signed_get(client, key, path)
    assert response.status_code == 200
    assert response.content == (bundle / "manifest.json").read_bytes()
    etag = f'"{hashlib.sha256(response.content).hexdigest()}"'
    assert response.headers["ETag"] == etag
    assert response.headers["X-Content-Signature"] == (bundle / "manifest.sig").read_text().strip()
    assert "X-Overlay-Sha256" not in response.headers
    unchanged = signed_get(client, key, path, **{"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert signed_get(client, key, path, **{"If-None-Match": '"other"'}).status_code == 200

    meta = manifest["files"]["content.json"]
    data = (bundle / "content.json").read_bytes()
    file_path = f"{API}/content/files/{meta['sha256']}"
    assert signed_get(client, key, file_path).content == data
    part = signed_get(client, key, file_path, Range="bytes=10-19")
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    tail = signed_get(client, key, file_path, Range="bytes=1000-")
    assert tail.status_code == 206 and tail.content == data[1000:]
    assert signed_get(client, key, file_path, Range="bytes=-5").content == data[-5:]
    for bad in (f"bytes={len(data)}-", "bytes=9-3", "bytes=abc", "items=0-1", "bytes=-0"):
        refused = signed_get(client, key, file_path, Range=bad)
        assert refused.status_code == 416, bad
        assert refused.headers["Content-Range"] == f"bytes */{len(data)}"
    assert signed_get(client, key, f"{API}/content/files/{'a' * 64}").status_code == 404


def test_a_hall_terminal_also_gets_its_overlay(server_app: FastAPI, client: TestClient,
                                               bundle: Path, content_key: Path,
                                               tmp_path: Path) -> None:
    add(server_app, Hall(code="QX01", name="青溪市公共法律服务中心"),
        Hall(code="QX02", name="白沙镇工作站"))
    add_user(server_app, "editor", "editor")
    csrf = sign_in(client, "editor")
    _upload_all(client, csrf, bundle)
    assert _post_bundle(client, csrf, bundle).status_code == 201
    overlay_src = tmp_path / "halls" / "QX01"
    overlay_src.mkdir(parents=True)
    (overlay_src / "notices.yaml").write_text("- id: n1\n  title: 通知\n  text: 周六休息\n",
                                              "utf-8")
    overlay = tmp_path / "overlay"
    key = load_private_key(content_key)
    for hall in ("QX09", "QX01"):
        build_signed_bundle(overlay_src, overlay, key=key, hall=hall)
        _upload_all(client, csrf, overlay)
        response = _post_bundle(client, csrf, overlay)
        if hall == "QX09":
            assert response.status_code == 422 and "QX09" in response.json()["detail"]
    assert response.status_code == 201 and response.json()["hall"] == "QX01"

    path = f"{API}/content/manifest?channel=stable"
    in_hall, elsewhere = add_terminal(server_app, "QX01"), add_terminal(server_app, "QX02")
    plain = signed_get(client, elsewhere, path)
    assert "X-Overlay-Sha256" not in plain.headers
    assert signed_get(client, elsewhere, f"{API}/content/overlay?channel=stable"
                      ).status_code == 404
    served = signed_get(client, in_hall, path)
    assert served.content == plain.content and served.headers["ETag"] != plain.headers["ETag"]
    overlay_bytes = (overlay / "manifest.json").read_bytes()
    assert served.headers["X-Overlay-Sha256"] == hashlib.sha256(overlay_bytes).hexdigest()
    fetched = signed_get(client, in_hall, f"{API}/content/overlay?channel=stable")
    assert fetched.content == overlay_bytes
    assert signed_get(client, in_hall, path, **{"If-None-Match": served.headers["ETag"]}
                      ).status_code == 304


def test_editors_see_which_terminals_run_which_version(server_app: FastAPI,
                                                       client: TestClient, bundle: Path) -> None:
    add_user(server_app, "editor", "editor")
    csrf = sign_in(client, "editor")
    manifest = _upload_all(client, csrf, bundle)
    assert _post_bundle(client, csrf, bundle).status_code == 201
    version = manifest["version"]
    add(server_app, *[Terminal(device_id=f"{n:064x}", public_key="x", status="accepted",
                               health={"content_version": v})
                      for n, v in enumerate([version, version, f"{version}+o1", "seed-1"])])
    listing = client.get(f"{API}/content/bundles").json()
    assert listing["bundles"][0]["terminals"] == 3
    assert listing["terminals_by_version"] == {version: 2, f"{version}+o1": 1, "seed-1": 1}


def _overlay(tmp_path: Path, content_key: Path, name: str, notices: list[dict[str, str]],
             channel: str = "stable") -> Path:
    """QX01's overlay with these notices (a window when there are none), built and signed."""
    src = tmp_path / "halls" / name
    src.mkdir(parents=True)
    file, items = (("notices.yaml", notices) if notices
                   else ("windows.yaml", [{"number": 1, "name": "综合窗口"}]))
    (src / file).write_text(yaml.safe_dump(items, allow_unicode=True), "utf-8")
    out = tmp_path / f"overlay-{name}"
    build_signed_bundle(src, out, key=load_private_key(content_key), channel=channel,
                        hall="QX01")
    return out


def _hall_record(app: FastAPI) -> tuple[dict, list[tuple[str, dict]]]:
    """QX01's overlay JSON and its feed entries (kind, payload)."""
    with app.state.database.sessions() as session:
        hall = session.scalars(select(Hall).where(Hall.code == "QX01")).one()
        events = session.execute(select(QueueEvent.kind, QueueEvent.payload).where(
            QueueEvent.hall_id == hall.id).order_by(QueueEvent.id)).all()
        return hall.overlay, [(kind, payload) for kind, payload in events]


def test_a_stable_overlay_puts_its_notices_on_the_hall_board(
        server_app: FastAPI, client: TestClient, content_key: Path, tmp_path: Path) -> None:
    add(server_app, Hall(code="QX01", name="青溪市公共法律服务中心"))
    add_user(server_app, "editor", "editor")
    csrf = sign_in(client, "editor")
    display = add_terminal(server_app, "QX01")
    board = f"{API}/queue/board"
    assert signed_get(client, display, board).json()["notices"] == []
    today = dt.date.fromisoformat(local_day(utcnow()))
    day = dt.timedelta(days=1)
    notices = [
        {"id": "now", "title": "端午节安排", "text": "6月2日休息。",
         "starts": (today - day).isoformat(), "ends": (today + day).isoformat()},
        {"id": "past", "title": "已过期", "text": "不再显示。", "ends": (today - day).isoformat()},
        {"id": "later", "title": "未开始", "text": "还未显示。",
         "starts": (today + day).isoformat()},
        {"id": "always", "title": "监督电话", "text": "0000-85550111"}]
    stable = _overlay(tmp_path, content_key, "stable", notices)
    manifest = _upload_all(client, csrf, stable)
    assert _post_bundle(client, csrf, stable).status_code == 201
    shown = signed_get(client, display, board).json()["notices"]
    assert [(n["id"], n["title"]) for n in shown] == [("now", "端午节安排"), ("always", "监督电话")]
    overlay, events = _hall_record(server_app)
    assert overlay["content_version"] == manifest["version"] and len(overlay["notices"]) == 4
    assert events == [("notices_changed", {"actor": "editor", "version": manifest["version"],
                                   "count": 4})]

    # A pilot channel's overlay leaves the hall's public display alone.
    beta = _overlay(tmp_path, content_key, "beta", [{"id": "b", "title": "试行", "text": "试"}],
                    channel="beta")
    _upload_all(client, csrf, beta)
    assert _post_bundle(client, csrf, beta).status_code == 201
    assert [n["id"] for n in signed_get(client, display, board).json()["notices"]] == [
        "now", "always"]

    # The notices are written in the publishing transaction: a refused publish writes none.
    with server_app.state.database.sessions() as session, session.begin():
        session.scalars(select(Hall)).one().overlay = {}
    assert _post_bundle(client, csrf, stable).status_code == 409  # the same version again
    assert _hall_record(server_app) == ({}, events)

    # A later overlay without notices clears them.
    plain = _overlay(tmp_path, content_key, "plain", [])
    _upload_all(client, csrf, plain)
    assert _post_bundle(client, csrf, plain).status_code == 201
    assert signed_get(client, display, board).json()["notices"] == []


def test_an_overlay_manifest_over_province_content_is_refused(
        server_app: FastAPI, client: TestClient, bundle: Path, content_key: Path) -> None:
    add(server_app, Hall(code="QX01", name="青溪市公共法律服务中心"))
    add_user(server_app, "editor", "editor")
    csrf = sign_in(client, "editor")
    stamp_manifest(bundle, hall="QX01")
    sign_bundle(bundle, load_private_key(content_key))
    _upload_all(client, csrf, bundle)
    refused = _post_bundle(client, csrf, bundle)
    assert refused.status_code == 422 and "not a hall overlay" in refused.json()["detail"]
    assert _hall_record(server_app) == ({}, [])
    assert client.get(f"{API}/content/bundles").json()["bundles"] == []
