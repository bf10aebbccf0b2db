"""Enrol the running terminal from the admin screen against a real server on loopback."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from provisioning.identity import STATE_FILE, TerminalIdentity
from server.app import create_app
from server.background import serve_in_thread
from server.fleet.actions import create_hall
from server.fleet.enrolment import create_enrolment_token
from server.models import Terminal
from server.settings import ServerSettings
from tests.ui.conftest import ADMIN_PIN
from tests.ui.test_admin import enter_pin, open_pin_pad


@pytest.fixture
def server(tmp_path: Path, ui: Any) -> Iterator[tuple[Any, str, str]]:
    """A real server on loopback with one hall and one token; the terminal unenrolled after."""
    settings = ServerSettings(database_url=f"sqlite:///{tmp_path / 'server.sqlite3'}",
                              storage_dir=tmp_path / "storage")
    app = create_app(settings)
    with app.state.database.sessions() as session, session.begin():
        hall = create_hall(session, "H1", "测试大厅")
        session.flush()
        hall_id = hall.id
    with app.state.database.sessions() as session:
        token, _row = create_enrolment_token(session, hall_id, "query", hours=1)
    try:
        with serve_in_thread(app) as url:
            yield app, url, token
    finally:
        # The UI session's data folder is shared: later tests expect an unenrolled terminal.
        data_dir = Path(ui.app.terminal_config.data_dir)
        (data_dir / STATE_FILE).unlink(missing_ok=True)
        ui.app.link.restart()  # stops the heartbeat; nothing starts without a state file
        ui.app.nav.screen("enrol").url = "http://"
        app.state.database.engine.dispose()


def open_enrol_screen(ui: Any, url: str) -> Any:
    """Admin PIN, then 接入服务器; the address is set directly (typing a port is long)."""
    open_pin_pad(ui)
    enter_pin(ui, ADMIN_PIN)
    ui.tap("接入服务器")
    assert ui.app.nav.current == "enrol"
    screen = ui.screen
    screen.url = url
    ui.frames(2)
    return screen


def type_token(ui: Any, screen: Any, token: str) -> None:
    """Select the token field and type on the on-screen keys."""
    ui.tap("接入令牌")
    assert screen.field == "token"
    for key in token:
        ui.tap(key.upper(), root=screen.ids.keyboard if key.isalpha() else screen.ids.extra)
    assert screen.token == token.upper()


def terminals(app: Any) -> list[tuple[str, str]]:
    with app.state.database.sessions() as session:
        return [(t.device_id, t.status) for t in session.scalars(select(Terminal))]


def test_token_typed_on_the_keyboard_enrols_the_terminal(ui: Any, server: Any) -> None:
    app, url, token = server
    screen = open_enrol_screen(ui, url)
    type_token(ui, screen, token.lower())  # case does not matter; keys type upper case
    ui.tap("接入")
    assert ui.wait_until(lambda: "接入成功" in screen.message and not screen.busy, timeout=20)
    assert screen.message == "接入成功：大厅 H1，类型 query"
    assert "接入成功：大厅" in "\n".join(ui.texts())
    assert ui.app.link.enrolled is True
    assert ui.app.link.heartbeat is not None
    device_id = TerminalIdentity.load_or_create(ui.app.terminal_config.data_dir).device_id
    assert terminals(app) == [(device_id, "accepted")]
    if os.environ.get("ENROL_SHOTS"):
        shots(ui, Path(os.environ["ENROL_SHOTS"]))


def test_wrong_token_is_refused_and_enrols_nothing(ui: Any, server: Any) -> None:
    app, url, _token = server
    screen = open_enrol_screen(ui, url)
    type_token(ui, screen, "ABCDE-23456-FGHJK-7890Z")
    ui.tap("接入")
    assert ui.wait_until(lambda: not screen.busy and screen.error, timeout=20)
    assert screen.message == "服务器拒绝接入：令牌无效、已用过或已过期"
    assert "unknown enrolment token" in screen.detail
    assert ui.app.link.enrolled is False
    assert not (Path(ui.app.terminal_config.data_dir) / STATE_FILE).exists()
    with app.state.database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Terminal)) == 0


def test_malformed_address_is_explained_without_a_request(ui: Any) -> None:
    open_pin_pad(ui)
    enter_pin(ui, ADMIN_PIN)
    ui.tap("接入服务器")
    screen = ui.screen
    ui.tap("服务器地址")
    ui.tap("清空")
    ui.tap("X", root=screen.ids.keyboard)
    assert screen.url == "http://x"
    screen.url = "ftp://x"
    ui.tap("接入")
    assert screen.message == "服务器地址格式不正确" and not screen.busy
    assert "scheme" in screen.detail
    screen.url = "http://"


def shots(ui: Any, folder: Path) -> None:
    """Screenshots in portrait and landscape, normal and elder mode (looked at by hand)."""
    for elder in (False, True):
        if ui.app.theme.elder != elder:
            ui.app.toggle_elder_mode()
        for width, height in ((1080, 1920), (1920, 1080)):
            ui.resize(width, height)
            time.sleep(0.5)  # the X server resizes the window asynchronously
            ui.frames(10)
            ui.screenshot(folder / f"enrol-{width}x{height}{'-elder' if elder else ''}.png")
    ui.resize(1080, 1920)
