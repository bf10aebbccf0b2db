"""Terminal-side enrolment and the enroll / fleet commands."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi import FastAPI

from hallkiosk_cli import main as hallkiosk
from provisioning.enrol import EnrolmentError, enrol
from provisioning.identity import TerminalIdentity, load_state
from server.settings import ServerSettings
from tests.provisioning.live_server import make_hall, make_token, set_status


def test_a_refused_token_leaves_the_terminal_unenrolled(server_app: FastAPI, server_url: str,
                                                         data_dir: Path) -> None:
    token = make_token(server_app)
    enrol(server_url, data_dir / "first", token)
    with pytest.raises(EnrolmentError, match="enrolment token already used"):
        enrol(server_url, data_dir, token)
    assert load_state(data_dir).status == "unenrolled"


def test_waiting_stops_after_wait_or_stop(server_app: FastAPI, server_url: str,
                                          data_dir: Path) -> None:
    assert enrol(server_url, data_dir, poll_interval=0.05, wait=0.3).status == "pending"
    stop = threading.Event()
    stop.set()
    assert enrol(server_url, data_dir, stop=stop).status == "pending"
    identity = TerminalIdentity.load_or_create(data_dir)
    set_status(server_app, identity.device_id, "rejected")
    assert enrol(server_url, data_dir, poll_interval=0.05, wait=5).status == "rejected"


def test_enroll_command(server_app: FastAPI, server_url: str, data_dir: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    token = make_token(server_app, "display")
    assert hallkiosk(["enroll", "--server", server_url, "--token", token.lower(),
                      "--data-dir", str(data_dir)]) == 0
    out, err = capsys.readouterr()
    assert out == "accepted\n" and "hall H-001, profile display" in err
    assert hallkiosk(["enroll", "--server", server_url, "--token", token,
                      "--data-dir", str(data_dir / "other")]) == 1
    assert "enrolment refused: enrolment token already used" in capsys.readouterr().err


def test_fleet_token_create_and_list(server_app: FastAPI, server_url: str, data_dir: Path,
                                     tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    settings: ServerSettings = server_app.state.settings
    config = tmp_path / "server.toml"
    config.write_text(f'[server]\ndatabase_url = "{settings.database_url}"\n'
                      f'storage_dir = "{settings.storage_dir}"\n')
    make_hall(server_app, "H-042", "某镇公共法律服务工作站")
    assert hallkiosk(["fleet", "token", "create", "--hall", "H-042", "--profile", "rater",
                      "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "H-042" in lines[0] and "profile rater" in lines[0]
    token = lines[1]
    assert len(token) == 23 and token.count("-") == 3
    assert any("█" in line for line in lines[2:])  # the QR code, in block characters
    assert enrol(server_url, data_dir, token).hall == "H-042"
    assert hallkiosk(["fleet", "token", "create", "--hall", "nowhere", "--profile", "query",
                      "--config", str(config)]) == 2

    enrol(server_url, data_dir / "pending", wait=0)
    capsys.readouterr()
    assert hallkiosk(["fleet", "list", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    rows = out.splitlines()[1:]
    assert len(rows) == 2 and "2 terminal(s)" in err
    assert any("accepted" in row and "H-042" in row and "rater" in row for row in rows)
    assert any("pending" in row and "never" in row for row in rows)
