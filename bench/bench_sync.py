"""Content sync figures: unchanged sync, one changed guide in 50 MB, applying 10,000 items.

A real server (uvicorn in a thread, SQLite) publishes signed bundles; a terminal
(``TerminalClient`` + ``content.sync.sync_once``) syncs through a TCP relay that
counts every byte both ways, HTTP headers included (TCP/IP framing is not counted).

(a) unchanged sync: bytes per sync (request + response) and time; target <= 2 KB.
(b) one changed guide in a ~50 MB bundle (the seed plus 50 generated 1 MB slide
    images): bytes downloaded beyond the manifest; target <= 1 % of the bundle.
(c) applying a 10,000-item bundle (bench/generate.py: 5,000 guides + 5,000 points):
    ``ContentStore.import_content`` into a fresh store, and the whole sync that
    downloads, verifies, stages and imports it; target <= 3 s for the import.

Run: ``.venv/bin/python bench/bench_sync.py [--unchanged 50] [--items 10000]``.
"""

from __future__ import annotations

import argparse
import base64
import random
import shutil
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import uvicorn
from common import machine_note, percentile
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from generate import generate_source

from content.bundle import read_bundle
from content.install import SEED
from content.publish import publish
from content.signing import build_signed_bundle, generate_key, load_private_key
from content.store import ContentStore, open_engine
from content.sync import sync_once
from protocol.signing import device_id, public_key_bytes
from provisioning.client import TerminalClient
from server.app import create_app
from server.models import Terminal
from server.security import create_user
from server.settings import ServerSettings

PASSWORD = "bench password"


class CountingRelay:
    """A loopback TCP relay that counts the bytes sent each way."""

    def __init__(self, upstream: int):
        self.upstream, self.up, self.down = upstream, 0, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(("127.0.0.1", self.upstream))
            for pair in ((client, server, False), (server, client, True)):
                threading.Thread(target=self._pump, args=pair, daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, downstream: bool) -> None:
        try:
            while data := source.recv(65536):
                with self.lock:
                    if downstream:
                        self.down += len(data)
                    else:
                        self.up += len(data)
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            try:
                sock.close()
            except OSError:
                pass

    def take(self) -> tuple[int, int]:
        """(up, down) bytes since the last take."""
        with self.lock:
            counts, self.up, self.down = (self.up, self.down), 0, 0
        return counts


class Setup:
    """Server, content key, editor account, one enrolled terminal behind the relay."""

    def __init__(self, root: Path):
        self.root = root
        self.key = root / "content.key"
        generate_key(self.key)
        self.public = root / "content.key.pub"
        settings = ServerSettings(database_url=f"sqlite:///{root / 'server.sqlite3'}",
                                  storage_dir=root / "storage", content_public_key=self.public)
        self.app = create_app(settings)
        terminal_key = Ed25519PrivateKey.generate()
        raw = public_key_bytes(terminal_key)
        with self.app.state.database.sessions() as session, session.begin():
            create_user(session, "editor", PASSWORD, "editor")
            session.add(Terminal(device_id=device_id(raw), status="accepted",
                                 public_key=base64.b64encode(raw).decode()))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port}"
        self.relay = CountingRelay(port)
        self.client = TerminalClient(f"http://127.0.0.1:{self.relay.port}",
                                     SimpleNamespace(private_key=terminal_key))

    def publish(self, src: Path, name: str) -> dict[str, Any]:
        """Build, sign and publish src; return the manifest."""
        manifest = build_signed_bundle(src, self.root / name, key=load_private_key(self.key))
        publish(self.root / name, self.url, "editor", PASSWORD, progress=lambda _m: None)
        return manifest

    def close(self) -> None:
        """Stop the server."""
        self.client.close()
        self.server.should_exit = True
        self.thread.join(10)
        self.app.state.database.engine.dispose()


def unchanged(setup: Setup, data_dir: Path, runs: int) -> None:
    """(a) bytes and time of syncs that find nothing new."""
    setup.publish(SEED, "seed-bundle")
    first = sync_once(setup.client, data_dir, setup.public)
    assert first.status == "applied", first.error
    setup.relay.take()
    sizes, times = [], []
    for _ in range(runs):
        started = time.perf_counter()
        result = sync_once(setup.client, data_dir, setup.public)
        times.append(time.perf_counter() - started)
        assert result.status == "unchanged", result.error
        time.sleep(0.01)  # let the relay count the last bytes
        up, down = setup.relay.take()
        sizes.append((up, down))
    up, down = sizes[-1]
    print(f"(a) unchanged sync, {runs} runs: {up} B request + {down} B response = "
          f"{up + down} B on the wire (max {max(u + d for u, d in sizes)} B; target <= 2048 B)")
    print(f"    time per sync_once: median {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {percentile(times, 0.95) * 1000:.1f} ms (includes opening the store)")


def changed_guide(setup: Setup, data_dir: Path) -> None:
    """(b) one changed guide in a ~50 MB bundle."""
    src = setup.root / "big-source"
    shutil.copytree(SEED, src, ignore=shutil.ignore_patterns("README.md"))
    rng = random.Random(7)
    slides = (src / "slides" / "slides.yaml").read_text("utf-8")
    for number in range(50):
        (src / "slides" / f"blob-{number:02d}.png").write_bytes(rng.randbytes(1_000_000))
        slides += (f"- id: blob-{number:02d}\n  title: 宣传图{number}\n"
                   f"  image: blob-{number:02d}.png\n")
    (src / "slides" / "slides.yaml").write_text(slides, "utf-8")
    manifest = setup.publish(src, "big-1")
    size = sum(meta["size"] for meta in manifest["files"].values())
    first = sync_once(setup.client, data_dir, setup.public)
    assert first.status == "applied", first.error
    guide = src / "guides" / "GZ-001.yaml"
    guide.write_text(guide.read_text("utf-8").replace("title: ", "title: （新）", 1), "utf-8")
    second_manifest = setup.publish(src, "big-2")
    setup.relay.take()
    started = time.perf_counter()
    result = sync_once(setup.client, data_dir, setup.public)
    elapsed = time.perf_counter() - started
    assert result.status == "applied", result.error
    time.sleep(0.01)
    up, down = setup.relay.take()
    manifest_bytes = len((setup.root / "big-2" / "manifest.json").read_bytes())
    changed = [n for n, m in second_manifest["files"].items()
               if manifest["files"].get(n) != m]
    print(f"(b) one changed guide in a {size / 1e6:.1f} MB bundle ({len(manifest['files'])} "
          f"files): {result.downloaded_files} files changed ({', '.join(changed)})")
    print(f"    file bytes downloaded {result.downloaded_bytes:,} = "
          f"{100 * result.downloaded_bytes / size:.2f} % of the bundle (target <= 1 %); "
          f"on the wire {up + down:,} B including the {manifest_bytes:,} B manifest; "
          f"sync {elapsed:.2f} s")


def apply_items(setup: Setup, data_dir: Path, items: int) -> None:
    """(c) applying a bundle of `items` guides and points."""
    src = setup.root / "items-source"
    started = time.perf_counter()
    generate_source(src, guides=items // 2, points=items - items // 2)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    setup.publish(src, "items")
    built = time.perf_counter() - started
    manifest, content, rows = read_bundle(setup.root / "items")
    total = sum(len(getattr(content, kind)) for kind in
                ("categories", "guides", "points", "faq", "online", "flows", "slides"))
    imports = []
    for run in range(3):
        engine = open_engine(setup.root / f"import-{run}.sqlite3")
        store = ContentStore(engine)
        started = time.perf_counter()
        store.import_content(manifest, content, rows)
        imports.append(time.perf_counter() - started)
        engine.dispose()
    started = time.perf_counter()
    read_bundle(setup.root / "items")
    verify = time.perf_counter() - started
    started = time.perf_counter()
    result = sync_once(setup.client, data_dir, setup.public)
    whole = time.perf_counter() - started
    assert result.status == "applied", result.error
    size = sum(meta["size"] for meta in manifest["files"].values())
    print(f"(c) {total:,} items ({len(content.guides):,} guides, {len(content.points):,} "
          f"points), {len(rows):,} search rows, {size / 1e6:.1f} MB bundle "
          f"(generated in {generated:.1f} s, built and published in {built:.1f} s)")
    print(f"    ContentStore.import_content: median {statistics.median(imports):.2f} s of "
          f"{len(imports)} (target <= 3 s); read_bundle (verify + parse) {verify:.2f} s; "
          f"whole sync (download, verify, stage, import) {whole:.2f} s")


def main() -> int:
    """Run the three measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unchanged", type=int, default=50, help="unchanged syncs to time")
    parser.add_argument("--items", type=int, default=10_000, help="items in bundle (c)")
    args = parser.parse_args()
    print(f"bench_sync: {machine_note()}")
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        root = Path(tmp)
        for part, run in (("a", lambda s, d: unchanged(s, d, args.unchanged)),
                          ("b", changed_guide), ("c", lambda s, d: apply_items(s, d, args.items))):
            setup = Setup(root / part)
            try:
                run(setup, root / part / "terminal")
            finally:
                setup.close()
    print(f"done: {machine_note()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
