"""Settings pushed from the fleet console reach the running app without a restart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from protocol.hours import WEEKDAYS, local_now
from server.app import create_app
from server.background import serve_in_thread
from server.fleet.actions import create_hall
from server.fleet.enrolment import create_enrolment_token
from server.fleet.terminal_config import store_config
from server.models import OutboxReceipt, Terminal
from server.settings import ServerSettings
from tests.ui.server_link import enrolled_terminal


@pytest.fixture
def enrolled(tmp_path: Path, ui: Any) -> Iterator[Any]:
    app = create_app(ServerSettings(database_url=f"sqlite:///{tmp_path / 'server.sqlite3'}",
                                    storage_dir=tmp_path / "storage"))
    with app.state.database.sessions() as session:
        hall = create_hall(session, "RC-1", "配置测试中心")
        session.flush()
        token, _row = create_enrolment_token(session, hall.id, "query", 1)
    try:
        with serve_in_thread(app) as url, enrolled_terminal(ui, url, token):
            yield app
    finally:
        app.state.broker.close()
        app.state.database.engine.dispose()


def test_pushed_idle_limits_and_profile_apply_live(ui: Any, enrolled: Any) -> None:
    with enrolled.state.database.sessions() as session:
        terminal = session.scalar(select(Terminal))
        assert terminal is not None
        terminal.profile = "dispenser"  # IT changes the profile in the fleet console
        store_config(session, "terminal", {"idle": {"timeout": 45, "countdown": 9}},
                     terminal_id=terminal.id)
        session.commit()
    assert ui.app.nav.current == "attract"
    assert ui.app.link.heartbeat.beat()  # the reply carries the new config
    assert ui.wait_until(lambda: ui.app.terminal_config.profile == "dispenser")
    ui.frames(3)
    assert (ui.app.idle.timeout, ui.app.idle.countdown) == (45, 9)
    assert ui.app.nav.current == "ticket"  # nobody was using it: the dispenser screen at once
    assert ui.app.terminal_config.speech.wav_dir  # local-only settings are kept


def test_usage_events_reach_the_server_through_the_outbox(ui: Any, enrolled: Any) -> None:
    ui.app.start_session()
    guide = ui.app.library.content.guides[0].code
    ui.app.open_item("guide", guide)
    ui.frames(2)
    ui.app.usage.flush()
    assert ui.app.link.heartbeat.beat()  # delivers the outbox with the heartbeat
    with enrolled.state.database.sessions() as session:
        payloads = [r.payload for r in session.scalars(
            select(OutboxReceipt).where(OutboxReceipt.kind == "usage.screen"))]
    assert {"screen": "guide_detail", "key": guide, "language": "zh_CN"} in payloads
    assert any(p["screen"] == "home" for p in payloads)


def test_pushed_languages_and_hours_work_on_the_terminal(ui: Any, enrolled: Any,
                                                         tmp_path: Path) -> None:
    ui.app.start_session()
    ui.frames(2)
    assert "English" in ui.texts()  # the language switch, before the push
    today = local_now(dt.datetime.now(dt.UTC)).weekday()
    tomorrow = WEEKDAYS[(today + 1) % 7]  # hours that exclude now, whatever the time
    with enrolled.state.database.sessions() as session:
        terminal = session.scalar(select(Terminal))
        assert terminal is not None
        store_config(session, "terminal", {"service": {
            "languages": ["zh_CN"], "opening_hours": {tomorrow: ["09:00-12:00"]}}},
            terminal_id=terminal.id)
        session.commit()
    ui.app.link.heartbeat.beat()  # the heartbeat thread may have taken it already
    assert ui.wait_until(lambda: ui.app.terminal_config.service.languages == ["zh_CN"])
    ui.frames(3)
    assert ui.app.terminal_config.speech.wav_dir  # the file's settings are kept
    assert not ui.app.state.multilingual and "English" not in ui.texts()
    ui.app.toggle_language()
    assert ui.app.state.language == "zh_CN"  # not offered: no way to English

    asked: list[Any] = []
    load_services = ui.app.queue.load_services
    ui.app.queue.load_services = lambda *args: asked.append(args)
    try:
        ui.tap("取号")
        assert ui.wait_until(lambda: ui.app.nav.current == "ticket")
        ui.frames(3)
        notice = ui.screen.message
        for shown in ["暂停取号", "现在不在取号时间", "12348", "09:00-12:00",
                      "Tickets are not issued at this time.", "12348 hotline"]:
            assert shown in notice or shown in ui.texts(), shown
        assert ui.screen.ids.services.children == [] and asked == []  # the server not asked
        ui.screenshot(tmp_path / "after-hours-portrait.png")
        ui.resize(1920, 1080)
        ui.frames(4)
        ui.screenshot(tmp_path / "after-hours-landscape.png")
        assert asked == []
    finally:
        ui.app.queue.load_services = load_services
        ui.resize(1080, 1920)
        ui.frames(2)
