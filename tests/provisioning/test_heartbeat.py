"""The heartbeat agent against a real server: reports, config, offline once, back once."""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from protocol.config import TerminalConfig
from provisioning.client import TerminalClient
from provisioning.enrol import enrol
from provisioning.heartbeat import HeartbeatAgent, SystemdNotifier, load_pushed_config
from provisioning.identity import TerminalIdentity
from provisioning.outbox import Outbox, OutboxSender
from server.fleet.terminal_config import store_config
from server.models import OutboxReceipt, Terminal
from tests.provisioning.live_server import live_server, make_token


@pytest.fixture
def client(server_app: FastAPI, server_url: str, data_dir: Path) -> TerminalClient:
    """A client of an accepted terminal."""
    enrol(server_url, data_dir, make_token(server_app))
    return TerminalClient(server_url, TerminalIdentity.load_or_create(data_dir), timeout=2,
                          retries=0)


def stored_health(app: FastAPI) -> dict[str, object]:
    """The health the server stored for the (only) terminal."""
    with app.state.database.sessions() as session:
        terminal = session.scalar(select(Terminal))
        assert terminal is not None
        return terminal.health


def test_beat_reports_health_applies_config_and_delivers_the_outbox(
        server_app: FastAPI, client: TerminalClient, data_dir: Path) -> None:
    with server_app.state.database.sessions() as session:
        terminal = session.scalar(select(Terminal))
        assert terminal is not None
        store_config(session, "terminal", {"speech": {"rate": 140}}, terminal_id=terminal.id)
        session.commit()
    outbox = Outbox(data_dir)
    outbox.put("usage.screen", {"screen": "guides"})
    applied: list[TerminalConfig] = []
    agent = HeartbeatAgent(client, data_dir, outbox=OutboxSender(outbox, client),
                           on_config=applied.append,
                           report=lambda: {"screen": "guides", "content_version": "v7"})
    assert agent.beat()
    health = stored_health(server_app)
    assert health["screen"] == "guides" and health["content_version"] == "v7"
    assert health["outbox_size"] == 1 and health["config_version"] == ""
    assert [settings.speech.rate for settings in applied] == [140]
    version, settings = load_pushed_config(data_dir)
    assert version == agent.config_version and settings is not None
    assert settings.speech.rate == 140
    assert outbox.size() == 0
    with server_app.state.database.sessions() as session:
        assert session.scalar(select(OutboxReceipt.kind)) == "usage.screen"
    assert agent.beat() and len(applied) == 1  # same version: nothing applied again
    assert stored_health(server_app)["config_version"] == version
    assert HeartbeatAgent(client, data_dir).config_version == version  # survives a restart
    outbox.close()


def test_a_refused_config_is_kept_out_and_reported(client: TerminalClient,
                                                   data_dir: Path) -> None:
    agent = HeartbeatAgent(client, data_dir)
    agent.apply_config({"version": "9-x", "settings": {"speech": {"rate": 5}}})
    assert agent.config_version == "" and "config 9-x refused: [speech] rate" in agent.last_error
    assert agent.base_report()["last_error"] == agent.last_error


def test_an_invalid_app_report_is_replaced_and_reported(server_app: FastAPI,
                                                        client: TerminalClient,
                                                        data_dir: Path) -> None:
    agent = HeartbeatAgent(client, data_dir, report=lambda: {"screen": 42, "uptime": -1})
    assert agent.beat()
    health = stored_health(server_app)
    assert health["screen"] == "" and isinstance(health["uptime"], int)
    assert "invalid heartbeat report: uptime" in str(health["last_error"])
    assert "screen: Input should be a valid string" in str(health["last_error"])


def test_offline_is_logged_once_and_back_once(server_app: FastAPI, data_dir: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    port = int(urlsplit(_enrolled(server_app, data_dir)).port or 0)
    client = TerminalClient(f"http://127.0.0.1:{port}", TerminalIdentity.load_or_create(data_dir),
                            timeout=1, retries=0)
    agent = HeartbeatAgent(client, data_dir)
    caplog.set_level(logging.INFO, logger="provisioning.heartbeat")
    assert not agent.beat() and not agent.beat() and not agent.beat()
    with live_server(server_app, port):
        assert agent.beat() and agent.beat()
    assert not agent.beat()
    messages = [r.getMessage().split(":")[0] for r in caplog.records
                if r.getMessage().startswith("server")]
    assert messages == ["server offline", "server back", "server offline"]


def _enrolled(app: FastAPI, data_dir: Path) -> str:
    with live_server(app) as url:
        enrol(url, data_dir, make_token(app))
    return url


def test_the_agent_runs_on_its_own_thread_with_jitter(server_app: FastAPI,
                                                      client: TerminalClient,
                                                      data_dir: Path) -> None:
    names: list[str] = []
    agent = HeartbeatAgent(client, data_dir, interval=0.05,
                           report=lambda: names.append(threading.current_thread().name) or {})
    delays = [agent.next_delay() for _ in range(200)]
    assert 0.045 <= min(delays) < max(delays) <= 0.055
    assert agent.start()
    deadline = time.monotonic() + 10
    while not stored_health(server_app):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    agent.wake()
    agent.stop()
    assert names and set(names) == {"heartbeat"}
    assert agent.interval == 30  # the server's interval replaced the initial one


def test_systemd_notifier(tmp_path: Path) -> None:
    assert not SystemdNotifier("").ready()
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(path)
        notifier = SystemdNotifier(path)
        assert notifier.ready() and notifier.watchdog()
        assert [listener.recv(100), listener.recv(100)] == [b"READY=1", b"WATCHDOG=1"]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind("\0hallkiosk-test-notify")
        assert SystemdNotifier("@hallkiosk-test-notify").notify("STOPPING=1")
        assert listener.recv(100) == b"STOPPING=1"
    assert not SystemdNotifier(str(tmp_path / "absent")).watchdog()
