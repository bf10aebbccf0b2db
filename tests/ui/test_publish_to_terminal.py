"""Edit a guide, rebuild, sign, publish: the running terminal shows it within a sync interval."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from content.install import SEED
from content.publish import publish
from content.signing import build_signed_bundle, generate_key, load_private_key
from devtools.xvfb import virtual_display
from provisioning.enrol import enrol
from server.app import create_app
from server.background import serve_in_thread
from server.fleet.actions import create_hall
from server.fleet.enrolment import create_enrolment_token
from server.models import ConfigProfile, Terminal
from server.security import create_user
from server.settings import ServerSettings

PASSWORD = "editor-password-1"
HEARTBEAT = 10  # seconds (the minimum)
SYNC = 1  # seconds


def reported_version(app, device_id: str) -> str:  # type: ignore[no-untyped-def]
    with app.state.database.sessions() as session:
        terminal = session.scalar(select(Terminal).where(Terminal.device_id == device_id))
        return str((terminal.health or {}).get("content_version", "")) if terminal else ""


def test_published_edit_reaches_the_running_terminal(tmp_path: Path) -> None:
    key = tmp_path / "content.key"
    generate_key(key)
    settings = ServerSettings(database_url=f"sqlite:///{tmp_path / 'server.sqlite3'}",
                              storage_dir=tmp_path / "storage", heartbeat_interval=1,
                              content_public_key=tmp_path / "content.key.pub")
    app = create_app(settings)
    with app.state.database.sessions() as session, session.begin():
        hall = create_hall(session, "H1", "测试大厅")
        create_user(session, "editor", PASSWORD, "editor")
        session.flush()
        # The fastest heartbeat a profile allows, so the test sees the terminal's state soon.
        session.add(ConfigProfile(scope="hall", hall_id=hall.id,
                                  settings={"heartbeat_interval": HEARTBEAT}))
        session.flush()
        token, _ = create_enrolment_token(session, hall.id, "query", hours=1)
    source = tmp_path / "source"
    shutil.copytree(SEED, source)
    terminal_dir = tmp_path / "terminal"
    with serve_in_thread(app) as url:
        first = build_signed_bundle(source, tmp_path / "v1", key=load_private_key(key))
        publish(tmp_path / "v1", url, "editor", PASSWORD, progress=lambda _m: None)
        state = enrol(url, terminal_dir, token, wait=5)
        assert state.status == "accepted"
        config = tmp_path / "terminal.toml"
        config.write_text(f'[terminal]\ndata_dir = "{terminal_dir}"\nfullscreen = false\n'
                          f'sync_interval = {SYNC}\n[speech]\nbackend = "null"\n', "utf-8")
        from kiosk.fonts import find_fonts
        from provisioning.identity import TerminalIdentity

        # The font cut of a first start (12 s idle, 40 s on a loaded machine) made outside
        # the deadline, which is about sync and heartbeats.
        find_fonts("", "", terminal_dir / "fonts", cut=True)
        device_id = TerminalIdentity.load_or_create(terminal_dir).device_id
        with virtual_display() as display, subprocess.Popen(
                [sys.executable, "-m", "hallkiosk_cli", "terminal", "--config", str(config)],
                env={**os.environ, "DISPLAY": display}, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL) as terminal:
            try:
                deadline = time.monotonic() + 30 + 2 * HEARTBEAT
                while reported_version(app, device_id) != first["version"]:
                    assert terminal.poll() is None and time.monotonic() < deadline
                    time.sleep(0.3)
                guide = source / "guides" / "FLYZ-001.yaml"
                guide.write_text(guide.read_text("utf-8").replace(
                    "title: ", "title: 【已更新】", 1), "utf-8")
                second = build_signed_bundle(source, tmp_path / "v2", key=load_private_key(key))
                publish(tmp_path / "v2", url, "editor", PASSWORD, progress=lambda _m: None)
                published = time.monotonic()
                while reported_version(app, device_id) != second["version"]:
                    assert terminal.poll() is None, "the terminal stopped"
                    # shown at the next sync; reported by the next heartbeat after that
                    assert time.monotonic() - published < SYNC + HEARTBEAT * 1.1 + 5
                    time.sleep(0.3)
            finally:
                terminal.send_signal(signal.SIGTERM)
                terminal.wait(timeout=20)
    from content.install import load_library

    library = load_library(terminal_dir)
    assert library is not None and library.guide("FLYZ-001").title.startswith("【已更新】")
    app.state.database.engine.dispose()
