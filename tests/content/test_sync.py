"""Terminal content sync against a real server on loopback (uvicorn in a thread).

Requests go through a small TCP relay that counts bytes, records what was
sent, and can drop a connection in the middle of a response.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
import uvicorn
import yaml
from content_sources import write_yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from fastapi import FastAPI
from sqlalchemy import select, update

import content.download
from content.install import SEED, load_library
from content.publish import publish
from content.signing import build_signed_bundle, generate_key, load_private_key, sign_bytes
from content.store import ContentStore, open_engine
from content.sync import SyncResult, SyncWorker, sync_once
from protocol.signing import device_id, public_key_bytes
from provisioning.client import TerminalClient
from server.app import create_app
from server.models import Bundle, Hall, Terminal
from server.security import create_user
from server.settings import ServerSettings

PASSWORD = "correct horse battery"
PROJECT = Path(__file__).resolve().parents[2]


class Relay:
    """A TCP relay to the server that counts bytes and can cut responses short."""

    def __init__(self, upstream: int):
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.up = self.down = 0
        self.sent = bytearray()
        self.statuses: list[bytes] = []
        self.cut_after: int | None = None  # bytes of a connection's responses, then drop it
        self.cut_once = True
        self.pace = 0.0  # seconds to wait after relaying each response chunk (a slow link)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, downstream: bool) -> None:
        seen = 0
        try:
            while data := source.recv(65536):
                with self.lock:
                    limit = self.cut_after if downstream else None
                    if limit is not None and seen + len(data) > limit:
                        data = data[:max(0, limit - seen)]
                        self.cut_after = None if self.cut_once else limit
                    if downstream:
                        self.down += len(data)
                        self.statuses += re.findall(rb"HTTP/1\.1 (\d{3}) ", data[:64])
                    else:
                        self.up += len(data)
                        self.sent += data
                target.sendall(data)
                seen += len(data)
                if downstream and self.pace:
                    time.sleep(self.pace)
                if limit is not None and seen >= limit:
                    break
        except OSError:
            pass
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def reset(self) -> None:
        """Forget what was counted and recorded."""
        with self.lock:
            self.up = self.down = 0
            self.sent.clear()
            self.statuses.clear()


@dataclass
class World:
    """A live server with a content key and an editor, a relay, and a terminal data folder."""

    app: FastAPI
    server_url: str
    relay: Relay
    key: Path
    tmp: Path
    source: Path
    data_dir: Path
    clients: list[TerminalClient] = field(default_factory=list)

    @property
    def public_key(self) -> Path:
        """The content public key handed to terminals."""
        return self.key.with_name(self.key.name + ".pub")

    def publish(self, src: Path | None = None, hall: str | None = None) -> dict:
        """Build, sign and publish src (the world's source by default); return the manifest."""
        out = self.tmp / f"bundle-{hall or 'province'}"
        manifest = build_signed_bundle(src or self.source, out, key=load_private_key(self.key),
                                       hall=hall)
        publish(out, self.server_url, "editor", PASSWORD, progress=lambda _message: None)
        return manifest

    def terminal(self, hall: str | None = None) -> TerminalClient:
        """Enrol an accepted terminal (in hall); return its client, talking through the relay."""
        key = Ed25519PrivateKey.generate()
        raw = public_key_bytes(key)
        with self.app.state.database.sessions() as session, session.begin():
            hall_id = session.scalar(select(Hall.id).where(Hall.code == hall)) if hall else None
            session.add(Terminal(device_id=device_id(raw), status="accepted", hall_id=hall_id,
                                 public_key=base64.b64encode(raw).decode()))
        client = TerminalClient(f"http://127.0.0.1:{self.relay.port}",
                                SimpleNamespace(private_key=key), timeout=5, retries=1,
                                backoff=0.05)
        self.clients.append(client)
        return client

    def sync(self, client: TerminalClient, **options: object) -> SyncResult:
        """One sync of the world's terminal folder."""
        return sync_once(client, self.data_dir, self.public_key, **options)  # type: ignore[arg-type]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A fresh server on loopback with the seed (plus a 3 MB slide image) as its source."""
    key = tmp_path / "keys" / "content.key"
    generate_key(key)
    settings = ServerSettings(database_url=f"sqlite:///{tmp_path / 'server.sqlite3'}",
                              storage_dir=tmp_path / "storage",
                              content_public_key=key.with_name("content.key.pub"))
    app = create_app(settings)
    with app.state.database.sessions() as session, session.begin():
        session.add(Hall(code="QX01", name="青溪市公共法律服务中心"))
        create_user(session, "editor", PASSWORD, "editor")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    source = tmp_path / "source"
    shutil.copytree(SEED, source)
    (source / "slides" / "welcome.png").write_bytes(random.randbytes(3_000_000))
    relay = Relay(port)
    result = World(app, f"http://127.0.0.1:{port}", relay, key, tmp_path, source,
                   tmp_path / "terminal")
    yield result
    for client in result.clients:
        client.close()
    relay.listener.close()
    server.should_exit = True
    thread.join(10)
    app.state.database.engine.dispose()


def assert_complete(data_dir: Path) -> str:
    """The active version loads completely and its files match the manifest; return it."""
    store = ContentStore(open_engine(data_dir / "terminal.sqlite3"))
    try:
        states = [state for _, state in store.versions()]
        assert states.count("active") == 1, states
        active = store.active()
        assert active is not None
        counts = active.manifest["counts"]
        assert len(active.content.guides) == counts["guides"]
        assert len(active.content.faq) == counts["faq"]
        assert len(active.content.slides) == counts["slides"]
        assert active.index.search("公证"), "the search index does not load"
        for name, meta in active.manifest["files"].items():
            places = [data_dir / "files" / meta["sha256"]]
            if name.startswith("media/"):
                places.append(data_dir / "media" / meta["sha256"])
            for place in places:
                assert hashlib.sha256(place.read_bytes()).hexdigest() == meta["sha256"], name
        return active.version
    finally:
        store.engine.dispose()


def test_first_sync_applies_and_an_unchanged_sync_is_one_small_304(world: World) -> None:
    manifest = world.publish()
    client = world.terminal()
    first = world.sync(client)
    assert (first.status, first.version, first.error) == ("applied", manifest["version"], "")
    assert first.downloaded_files == len(manifest["files"])
    assert assert_complete(world.data_dir) == manifest["version"]
    world.relay.reset()
    second = world.sync(client)
    assert (second.status, second.version, second.downloaded_bytes) == (
        "unchanged", manifest["version"], 0)
    assert world.relay.statuses == [b"304"]
    assert b"If-None-Match" in world.relay.sent
    assert world.relay.up + world.relay.down <= 2048


def test_one_changed_file_is_the_only_download(world: World) -> None:
    world.publish()
    client = world.terminal()
    first = world.sync(client)
    old_version = first.version
    new_image = random.randbytes(5000)
    (world.source / "slides" / "hotline.png").write_bytes(new_image)
    manifest = world.publish()
    result = world.sync(client)
    assert (result.status, result.version) == ("applied", manifest["version"])
    assert (result.downloaded_files, result.downloaded_bytes) == (1, len(new_image))
    assert assert_complete(world.data_dir) == manifest["version"]
    store = ContentStore(open_engine(world.data_dir / "terminal.sqlite3"))
    assert store.versions() == [(manifest["version"], "active"), (old_version, "previous")]
    store.engine.dispose()


def _tamper_manifest(world: World, replace: tuple[str, str] = ("", ""),
                     signature: str | None = None, channel: str | None = None) -> None:
    with world.app.state.database.sessions() as session, session.begin():
        bundle = session.scalars(select(Bundle).order_by(Bundle.id.desc())).first()
        assert bundle is not None
        session.execute(update(Bundle).where(Bundle.id == bundle.id).values(
            manifest=bundle.manifest.replace(*replace), signature=signature or bundle.signature,
            channel=channel or bundle.channel))


def test_tampered_or_foreign_manifests_are_refused_and_nothing_changes(world: World) -> None:
    first_manifest = world.publish()
    client = world.terminal()
    assert world.sync(client).status == "applied"
    (world.source / "slides" / "hotline.png").write_bytes(b"changed")
    world.publish()
    _tamper_manifest(world, replace=('"counts":{', '"counts":{"extra":1,'))
    tampered = world.sync(client)
    assert tampered.status == "failed" and "signature does not verify" in tampered.error
    assert tampered.version == first_manifest["version"]

    other = world.tmp / "other.key"
    generate_key(other)
    with world.app.state.database.sessions() as session:
        text = session.scalars(select(Bundle.manifest).order_by(Bundle.id.desc())).first()
    _tamper_manifest(world, signature=sign_bytes(load_private_key(other), text.encode()))
    assert "signature does not verify" in world.sync(client).error

    _tamper_manifest(world, signature=sign_bytes(load_private_key(world.key), text.encode()),
                     channel="beta")
    wrong_channel = world.sync(client, channel="beta")
    assert "channel 'stable', this terminal follows 'beta'" in wrong_channel.error
    assert world.sync(client).status == "unchanged"  # stable still serves the first version
    assert "nothing published on channel 'pilot'" in world.sync(client, channel="pilot").error
    assert assert_complete(world.data_dir) == first_manifest["version"]


def test_a_tampered_file_on_the_server_is_refused(world: World) -> None:
    first = world.publish()
    client = world.terminal()
    world.sync(client)
    (world.source / "slides" / "hotline.png").write_bytes(b"new image")
    manifest = world.publish()
    sha = manifest["files"]["media/slides/hotline.png"]["sha256"]
    (world.tmp / "storage" / "media" / sha[:2] / sha).write_bytes(b"evil image")
    result = world.sync(client)
    assert result.status == "failed"
    assert "media/slides/hotline.png" in result.error and "sha256" in result.error
    assert result.version == first["version"]
    assert not (world.data_dir / "files" / sha).exists()
    assert not (world.data_dir / "files" / f"{sha}.part").exists()
    assert assert_complete(world.data_dir) == first["version"]


def test_hall_overlay_is_merged_and_a_foreign_hall_is_refused(world: World) -> None:
    province = world.publish()
    hall_src = world.tmp / "halls" / "QX01"
    hall_src.mkdir(parents=True)
    (hall_src / "notices.yaml").write_text("- id: n1\n  title: 端午节安排\n  text: 6月2日休息。\n",
                                           "utf-8")
    header, *rows = (world.source / "points.csv").read_text("utf-8").splitlines()
    village = next(row for row in rows if ",village_room," in row)
    own = next(row for row in rows if ",station," in row).split(",")
    own[0], own[8], own[9] = "QX01-HALL", "0000-66660001", "周一至周日 9:00-17:00"
    # the hall's points: a village room it serves, then its own station
    (hall_src / "points.csv").write_text("\n".join([header, village, ",".join(own)]) + "\n",
                                         "utf-8")
    overlay = world.publish(hall_src, hall="QX01")
    client = world.terminal("QX01")
    refused = world.sync(client, hall="QX02")
    assert refused.status == "failed"
    assert "for hall 'QX01', expected hall 'QX02'" in refused.error
    assert refused.version is None
    unconfigured = world.sync(client)
    assert "no hall configured" in unconfigured.error
    result = world.sync(client, hall="QX01")
    assert result.status == "applied", result.error
    assert result.version == f"{province['version']}+{overlay['version']}"
    store = ContentStore(open_engine(world.data_dir / "terminal.sqlite3"))
    stored = store.active_manifest()
    store.engine.dispose()
    assert stored is not None and stored["overlay"]["notices"][0]["title"] == "端午节安排"
    assert assert_complete(world.data_dir) == result.version
    # slips print the hall's own hours and phone: its station, not the village room or the
    # province's first centre
    store = ContentStore(open_engine(world.data_dir / "terminal.sqlite3"))
    library = load_library(world.data_dir, store)
    store.engine.dispose()
    hall = library.hall_point() if library else None
    assert hall is not None and (hall.id, hall.phone, hall.hours) == (
        "QX01-HALL", "0000-66660001", "周一至周日 9:00-17:00")
    assert world.sync(client, hall="QX01").status == "unchanged"


def _hall_source(world: World, image: bytes) -> Path:
    """QX01's overlay: its own GZ-001 and a new guide, a slide with an image, a hide list."""
    src = world.tmp / "halls" / "QX01"
    guide = yaml.safe_load((world.source / "guides" / "GZ-001.yaml").read_text("utf-8"))
    write_yaml(src / "guides" / "GZ-001.yaml", dict(guide, title="出生公证（本厅周六可办）"))
    write_yaml(src / "guides" / "QX01-001.yaml", dict(
        guide, code="QX01-001", title="驻村律师预约", title_en="Book the village lawyer",
        category="consultation", summary="预约驻村律师到村里解答法律问题。", keywords=["驻村律师"]))
    write_yaml(src / "slides" / "slides.yaml",
               [{"id": "hall-welcome", "title": "欢迎来到青溪市中心", "image": "welcome.png"}])
    (src / "slides" / "welcome.png").write_bytes(image)
    write_yaml(src / "hide.yaml", {"guides": ["FLYZ-005"], "points": ["P002"],
                                   "slides": ["hotline", "no-such-slide"]})
    write_yaml(src / "notices.yaml", [{"id": "n1", "title": "端午节安排", "text": "6月2日休息。"}])
    return src


def test_overlay_guides_slides_media_and_hide_list_reach_the_terminal(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    world.publish()
    image = random.randbytes(200_000)
    src = _hall_source(world, image)
    overlay = world.publish(src, hall="QX01")
    media = "media/slides/halls/QX01/welcome.png"
    assert overlay["files"][media]["sha256"] == hashlib.sha256(image).hexdigest()
    client = world.terminal("QX01")
    with caplog.at_level(logging.WARNING, logger="content.merge"):
        result = world.sync(client, hall="QX01")
    assert result.status == "applied", result.error
    assert assert_complete(world.data_dir) == result.version
    # (only the merge's own records: an earlier test may have left other loggers verbose)
    assert [r.getMessage() for r in caplog.records if r.name == "content.merge"] == [
        "hall QX01: hide.yaml names slide 'no-such-slide', which the province content does "
        "not have: ignored"]

    library = load_library(world.data_dir)
    assert library is not None and library.version == result.version
    assert library.guide("GZ-001").title == "出生公证（本厅周六可办）"
    assert library.guide("QX01-001") in library.guides_in("consultation")
    assert "FLYZ-005" not in {g.code for g in library.content.guides}
    assert "P002" not in {p.id for p in library.content.points}
    offered = {code for flow in library.content.flows for node in flow.nodes.values()
               for code in getattr(node, "guides", [])}
    assert offered and "FLYZ-005" not in offered
    slides = {s.id: s for s in library.content.slides}
    assert "hotline" not in slides and "welcome" in slides
    hall_image = library.slide_image(slides["hall-welcome"].image)
    assert Path(hall_image).read_bytes() == image
    province_image = (world.source / "slides" / "welcome.png").read_bytes()
    assert Path(library.slide_image(slides["welcome"].image)).read_bytes() == province_image
    assert [(h.kind, h.key) for h in library.index.search("驻村律师")][:1] == [
        ("guide", "QX01-001")]
    assert [h.key for h in library.index.search("zhucunlvshi")][:1] == ["QX01-001"]
    hidden_title = yaml.safe_load(
        (world.source / "guides" / "FLYZ-005.yaml").read_text("utf-8"))["title"]
    assert all(h.key != "FLYZ-005" for h in library.index.search(hidden_title))
    assert [h.title for h in library.index.search("出生公证", kinds=["guide"])] == [
        "出生公证（本厅周六可办）"]

    # A new notice: the image is not downloaded again.
    write_yaml(src / "notices.yaml", [{"id": "n2", "title": "国庆节安排", "text": "照常办公。"}])
    world.publish(src, hall="QX01")
    again = world.sync(client, hall="QX01")
    assert again.status == "applied" and again.downloaded_bytes < 20_000, again
    library = load_library(world.data_dir)
    assert library is not None and [n["id"] for n in library.notices] == ["n2"]

    # A hall image changed on the server after publishing is refused like province media.
    before = again.version
    (src / "slides" / "welcome.png").write_bytes(random.randbytes(1000))
    tampered = world.publish(src, hall="QX01")
    sha = tampered["files"][media]["sha256"]
    (world.tmp / "storage" / "media" / sha[:2] / sha).write_bytes(random.randbytes(1000))
    refused = world.sync(client, hall="QX01")
    assert refused.status == "failed" and refused.version == before
    assert media in refused.error and "sha256" in refused.error
    assert not (world.data_dir / "files" / sha).exists()
    assert not (world.data_dir / "media" / sha).exists()
    assert assert_complete(world.data_dir) == before


def test_a_dropped_connection_is_resumed_with_range(world: World) -> None:
    manifest = world.publish()
    total = sum(meta["size"] for meta in manifest["files"].values())
    client = world.terminal()
    world.relay.cut_after = 1_000_000  # inside the 3 MB slide image
    result = world.sync(client)
    assert result.status == "applied", result.error
    assert re.search(rb"Range: bytes=\d{6,}-", bytes(world.relay.sent))
    assert result.downloaded_bytes < total + 100_000  # resumed, not downloaded again
    assert assert_complete(world.data_dir) == manifest["version"]


def test_a_partial_download_is_kept_and_resumed_by_the_next_sync(world: World) -> None:
    manifest = world.publish()
    big = manifest["files"]["media/slides/welcome.png"]["sha256"]
    client = world.terminal()
    world.relay.cut_once, world.relay.cut_after = False, 700_000  # every connection drops
    failed = world.sync(client)
    assert failed.status == "failed" and "kept and resumed" in failed.error
    assert failed.version is None
    part = world.data_dir / "files" / f"{big}.part"
    kept = part.stat().st_size
    assert kept > 0
    world.relay.cut_after = None
    world.relay.reset()
    result = world.sync(client)
    assert result.status == "applied", result.error
    assert f"Range: bytes={kept}-".encode() in world.relay.sent
    assert assert_complete(world.data_dir) == manifest["version"]


def test_a_full_disk_is_reported_and_nothing_is_applied(world: World,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    first = world.publish()
    client = world.terminal()
    world.sync(client)
    (world.source / "slides" / "hotline.png").write_bytes(b"another image")
    world.publish()

    def disk_full(handle: object, chunk: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(content.download, "write_chunk", disk_full)
    result = world.sync(client)
    assert result.status == "failed"
    assert "disk full" in result.error and "No space left on device" in result.error
    assert result.version == first["version"]
    assert assert_complete(world.data_dir) == first["version"]
    monkeypatch.undo()
    assert world.sync(client).status == "applied"


def test_an_unreachable_server_keeps_the_content(world: World) -> None:
    manifest = world.publish()
    client = world.terminal()
    world.sync(client)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # nothing listens here once the socket is closed
    offline = TerminalClient(f"http://127.0.0.1:{closed}", client.identity, timeout=2,
                             retries=1, backoff=0.05)
    world.clients.append(offline)
    result = world.sync(offline)
    assert result.status == "failed" and result.error.startswith("server:")
    assert result.version == manifest["version"]


def test_the_worker_syncs_in_its_own_thread(world: World) -> None:
    manifest = world.publish()
    results: list[tuple[SyncResult, str]] = []
    worker = SyncWorker(world.terminal(), world.data_dir, world.public_key, interval=60,
                        on_result=lambda r: results.append((r, threading.current_thread().name)))
    worker.start()
    deadline = time.monotonic() + 20
    while not results and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.sync_now()
    while len(results) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop()
    assert [r.status for r, _ in results] == ["applied", "unchanged"]
    assert {name for _, name in results} == {"content-sync"}
    assert results[0][0].version == manifest["version"]
    assert not worker.is_alive()


CHILD = """
import json, sys, types
from pathlib import Path
from content.signing import load_private_key
from content.sync import sync_once
from provisioning.client import TerminalClient
data_dir, url, key, public = sys.argv[1:5]
client = TerminalClient(url, types.SimpleNamespace(private_key=load_private_key(key)),
                        timeout=5, retries=1)
print("start", flush=True)
result = sync_once(client, Path(data_dir), Path(public))
print(json.dumps([result.status, result.version, result.error]), flush=True)
"""


def test_killing_the_sync_at_any_moment_leaves_a_complete_version(world: World) -> None:
    first = world.publish()
    key = Ed25519PrivateKey.generate()
    key_file = world.tmp / "terminal.pem"
    key_file.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    raw = public_key_bytes(key)
    with world.app.state.database.sessions() as session, session.begin():
        session.add(Terminal(device_id=device_id(raw), status="accepted",
                             public_key=base64.b64encode(raw).decode()))
    client = TerminalClient(world.server_url, SimpleNamespace(private_key=key), timeout=5)
    world.clients.append(client)
    assert world.sync(client).status == "applied"
    snapshot = world.tmp / "v1"
    shutil.copytree(world.data_dir, snapshot)
    guide = next((world.source / "guides").glob("*.yaml"))
    guide.write_text(guide.read_text("utf-8").replace("title: ", "title: 新", 1), "utf-8")
    (world.source / "slides" / "welcome.png").write_bytes(random.randbytes(3_000_000))
    second = world.publish()

    relayed = f"http://127.0.0.1:{world.relay.port}"
    world.relay.pace = 0.004  # a slower link, so that kills also land inside downloads

    def start_child() -> tuple[subprocess.Popen[str], float]:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(world.data_dir), relayed, str(key_file),
             str(world.public_key)], cwd=PROJECT, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(PROJECT)})
        assert child.stdout is not None and child.stdout.readline().strip() == "start"
        return child, time.monotonic()

    child, started = start_child()  # one uninterrupted run measures how long a sync takes
    out, _ = child.communicate(timeout=60)
    duration = time.monotonic() - started
    assert json.loads(out)[:2] == ["applied", second["version"]]
    kills, seen, partial = 16, set(), 0
    test_started = time.monotonic()
    for number in range(kills):
        shutil.rmtree(world.data_dir)
        shutil.copytree(snapshot, world.data_dir)
        child, started = start_child()
        # Spread the kills over the whole sync (and a little after it).
        time.sleep(max(0.0, duration * 1.1 * (number + random.random()) / kills
                       - (time.monotonic() - started)))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=10)  # reaps the child and closes its pipe
        version = assert_complete(world.data_dir)
        assert version in (first["version"], second["version"])
        seen.add(version)
        partial += bool(list((world.data_dir / "files").glob("*.part")))
        later = world.sync(client)
        assert later.status in ("applied", "unchanged"), later.error
        assert assert_complete(world.data_dir) == second["version"]
        assert time.monotonic() - test_started < 200
    assert seen == {first["version"], second["version"]}, "kills missed one side of the switch"
    assert partial, "no kill landed inside a download"
