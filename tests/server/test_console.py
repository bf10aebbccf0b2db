"""The fleet console: pages for IT, accept / reject / revoke, tokens, commands."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.bundle import BUNDLE_FORMAT
from protocol import commands as terminal_messages
from protocol.config_sections import PROFILES
from server.fleet import actions as fleet_actions
from server.fleet import enrolment as fleet_enrolment
from server.fleet import terminal_config as fleet_terminal_config
from server.fleet.queries import as_utc, health_fields
from server.models import Alert, Bundle, Command, EnrolmentToken, Hall, Terminal, utcnow
from tests.server.test_auth import add_user, sign_in

PAGES = ["/fleet", "/fleet/pending", "/fleet/tokens", "/fleet/terminals/{id}"]


@dataclass
class Console:
    """A signed-in IT admin's client, the CSRF token and the ids made for the test."""

    client: TestClient
    csrf: str
    app: FastAPI
    hall_id: int
    other_hall_id: int

    def session(self) -> Session:
        """A fresh session on the application's database."""
        return self.app.state.database.sessions()

    def post(self, path: str, **form: str) -> Response:
        """A form POST with the CSRF token, redirects not followed."""
        return self.client.post(path, data={**form, "csrf_token": self.csrf},
                                follow_redirects=False)

    def add_terminal(self, status: str, **values: object) -> int:
        """Insert a terminal row directly (as the enrolment API would) and return its id."""
        key = hashlib.sha256(repr((status, values, utcnow())).encode()).hexdigest()
        with self.session() as session:
            terminal = Terminal(device_id=key, public_key="A" * 44, status=status,
                                identity={"hostname": "kiosk-01", "mac": "52:54:00:12:34:56",
                                          "serial": "SN-2024-0001"}, **values)
            session.add(terminal)
            session.commit()
            return terminal.id


@pytest.fixture
def console(server_app: FastAPI, client: TestClient) -> Console:
    """An IT admin signed in, with two halls."""
    with server_app.state.database.sessions() as session:
        first = fleet_actions.create_hall(session, "GZ-TH-01", "城关区公共法律服务中心")
        second = fleet_actions.create_hall(session, "GZ-TH-02", "东关街道公共法律服务工作站",
                                           "township")
        session.commit()
        ids = first.id, second.id
    add_user(server_app, "it1", "it_admin")
    return Console(client, sign_in(client, "it1"), server_app, *ids)


def test_pages_render_for_it_admin(console: Console) -> None:
    terminal_id = console.add_terminal("accepted", hall_id=console.hall_id, name="一楼查询机")
    for page in PAGES:
        answer = console.client.get(page.format(id=terminal_id))
        assert answer.status_code == 200, page
        assert answer.headers["content-type"].startswith("text/html")
        assert '<html lang="zh-CN">' in answer.text and "it1" in answer.text
    assert console.client.get("/static/console.css").status_code == 200
    assert console.client.get("/static/../security.py").status_code == 404
    assert console.client.get("/fleet/terminals/99999").status_code == 404
    assert console.client.get("/fleet/terminals/abc").status_code == 404


@pytest.mark.parametrize("role", ["staff", "supervisor", "editor"])
def test_pages_refuse_other_roles(console: Console, role: str) -> None:
    terminal_id = console.add_terminal("accepted", hall_id=console.hall_id)
    add_user(console.app, "someone", role)
    csrf = sign_in(console.client, "someone")
    for page in PAGES:
        answer = console.client.get(page.format(id=terminal_id))
        assert answer.status_code == 403 and "没有权限" in answer.text
    answer = console.client.post(f"/fleet/terminals/{terminal_id}/revoke",
                                 data={"csrf_token": csrf, "confirm": "yes"})
    assert answer.status_code == 403
    with console.session() as session:
        assert session.get(Terminal, terminal_id).status == "accepted"
    home = console.client.get("/")
    landing = {"editor": "内容版本"}.get(role, "您好，someone")  # staff without a hall
    assert home.status_code == 200 and landing in home.text


def test_editors_see_each_version_and_the_terminals_running_it(console: Console) -> None:
    with console.session() as session:
        for version in ("2026.11.01-1", "2026.11.20-1"):
            manifest = json.dumps({"format": BUNDLE_FORMAT, "version": version,
                                   "channel": "stable", "hall": None, "files": {
                                       name: {"sha256": "0" * 64, "size": 1024}
                                       for name in ("content.json", "search.json")}})
            session.add(Bundle(version=version, channel="stable", manifest=manifest,
                               signature="x", size=2048))
        session.commit()
    for status, version in (("accepted", "2026.11.20-1"), ("accepted", "2026.11.20-1"),
                            ("accepted", "2026.11.01-1"), ("revoked", "2026.11.01-1")):
        terminal_id = console.add_terminal(status, hall_id=console.hall_id)
        with console.session() as session:
            session.get(Terminal, terminal_id).health = {"content_version": version}
            session.commit()
    add_user(console.app, "editor1", "editor")
    sign_in(console.client, "editor1")
    page = console.client.get("/content")
    assert page.status_code == 200
    rows = page.text.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert "2026.11.20-1" in rows[0] and "<strong>2</strong>" in rows[0]  # newest first
    assert "2026.11.01-1" in rows[1] and "<strong>1</strong>" in rows[1]  # revoked not counted
    add_user(console.app, "staff9", "staff")
    sign_in(console.client, "staff9")
    assert console.client.get("/content").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    for page in PAGES:
        answer = client.get(page.format(id=1), follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_accept_a_pending_terminal(console: Console) -> None:
    terminal_id = console.add_terminal("pending")
    pending = console.client.get("/fleet/pending").text
    assert "kiosk-01" in pending and "52:54:00:12:34:56" in pending and "SN-2024-0001" in pending
    answer = console.post(f"/fleet/pending/{terminal_id}/accept", hall_id=str(console.hall_id),
                          profile="robot", name="法律服务机器人一号")
    assert answer.status_code == 303
    with console.session() as session:
        terminal = session.get(Terminal, terminal_id)
        assert terminal is not None
        assert (terminal.status, terminal.hall_id, terminal.profile, terminal.name) == (
            "accepted", console.hall_id, "robot", "法律服务机器人一号")
        assert terminal.decided_at is not None
    assert "终端已接入" in console.client.get("/fleet/pending").text
    assert "终端已接入" not in console.client.get("/fleet/pending").text  # shown once
    overview = console.client.get("/fleet").text
    assert "法律服务机器人一号" in overview and "离线" in overview
    twice = console.post(f"/fleet/pending/{terminal_id}/accept", hall_id=str(console.hall_id),
                         profile="robot")
    assert twice.status_code == 409


def test_accept_checks_hall_and_profile(console: Console) -> None:
    terminal_id = console.add_terminal("pending")
    for hall_id, profile in [("99999", "query"), (str(console.hall_id), "toaster")]:
        answer = console.post(f"/fleet/pending/{terminal_id}/accept", hall_id=hall_id,
                              profile=profile)
        assert answer.status_code == 409
    with console.session() as session:
        assert session.get(Terminal, terminal_id).status == "pending"


def test_reject_a_pending_terminal(console: Console) -> None:
    terminal_id = console.add_terminal("pending")
    assert console.post(f"/fleet/pending/{terminal_id}/reject").status_code == 303
    with console.session() as session:
        assert session.get(Terminal, terminal_id).status == "rejected"
    assert "kiosk-01" not in console.client.get("/fleet/pending").text
    assert console.client.get(f"/fleet/terminals/{terminal_id}").status_code == 404


def test_revoke_an_accepted_terminal(console: Console) -> None:
    terminal_id = console.add_terminal("accepted", hall_id=console.hall_id)
    unconfirmed = console.post(f"/fleet/terminals/{terminal_id}/revoke")
    assert unconfirmed.status_code == 400
    answer = console.post(f"/fleet/terminals/{terminal_id}/revoke", confirm="yes")
    assert answer.status_code == 303
    with console.session() as session:
        assert session.get(Terminal, terminal_id).status == "revoked"
    page = console.client.get(f"/fleet/terminals/{terminal_id}").text
    assert "终端已吊销" in page and "发送指令" not in page
    refused = console.post(f"/fleet/terminals/{terminal_id}/commands", kind="restart_app")
    assert refused.status_code == 400


def test_token_creation_stores_only_a_hash(console: Console) -> None:
    hours = console.app.state.settings.enrolment_token_hours
    before = utcnow()
    page = console.post("/fleet/tokens", hall_id=str(console.other_hall_id), profile="display")
    text = page.text
    token = re.search(r'id="new-token">([^<]+)<', text).group(1)
    assert "data:image/png;base64," in text and "东关街道公共法律服务工作站" in text
    with console.session() as session:
        row = session.scalars(select(EnrolmentToken)).one()
        assert row.token_hash == fleet_enrolment.token_hash(token) != token
        assert (row.hall_id, row.profile, row.used_at) == (console.other_hall_id, "display", None)
        expires = as_utc(row.expires_at)
        assert expires is not None
        assert abs(expires - before - dt.timedelta(hours=hours)) < dt.timedelta(minutes=1)
    listing = console.client.get("/fleet/tokens").text
    assert token not in listing and "有效" in listing
    with console.session() as session:
        session.scalars(select(EnrolmentToken)).one().expires_at = utcnow() - dt.timedelta(
            seconds=1)
        session.commit()
    assert "已过期" in console.client.get("/fleet/tokens").text
    refused = console.post("/fleet/tokens", hall_id="99999", profile="display")
    assert refused.status_code == 400


def _commands(console: Console, terminal_id: int) -> list[Command]:
    with console.session() as session:
        return list(session.scalars(select(Command).where(Command.terminal_id == terminal_id)
                                    .order_by(Command.id)))


def _state_of(console: Console, terminal_id: int, command_id: int) -> str:
    page = console.client.get(f"/fleet/terminals/{terminal_id}").text
    row = page.split(f'id="command-{command_id}"', 1)[1]
    return re.search(r'data-state="(\w+)"', row).group(1)


def test_commands_are_queued_and_their_state_shown(console: Console) -> None:
    terminal_id = console.add_terminal("accepted", hall_id=console.hall_id)
    answer = console.post(f"/fleet/terminals/{terminal_id}/commands", kind="show_message",
                          text="系统维护中，请稍候", expires_minutes="15")
    assert answer.status_code == 303
    console.post(f"/fleet/terminals/{terminal_id}/commands", kind="set_log_level",
                 level="DEBUG")
    message, level = _commands(console, terminal_id)
    assert message.kind == "show_message" and message.payload["text"] == "系统维护中，请稍候"
    assert level.payload == {"level": "DEBUG"}
    lifetime = as_utc(message.expires_at) - as_utc(message.created_at)
    assert dt.timedelta(minutes=14) < lifetime <= dt.timedelta(minutes=15)
    assert _state_of(console, terminal_id, message.id) == "queued"
    with console.session() as session:
        command = session.get(Command, message.id)
        assert command is not None
        command.delivered_at = utcnow()
        session.commit()
        assert _state_of(console, terminal_id, message.id) == "delivered"
        command.acked_at, command.result = utcnow(), {"ok": True}
        session.get(Command, level.id).expires_at = utcnow()
        session.commit()
    assert _state_of(console, terminal_id, message.id) == "acknowledged"
    assert _state_of(console, terminal_id, level.id) == "expired"


@pytest.mark.parametrize("form", [
    {"kind": "show_message", "text": "  "}, {"kind": "set_log_level", "level": "LOUD"},
    {"kind": "format_disk"}, {"kind": "restart_app", "expires_minutes": "0"},
    {"kind": "restart_app", "expires_minutes": "soon"}])
def test_bad_commands_are_refused(console: Console, form: dict[str, str]) -> None:
    terminal_id = console.add_terminal("accepted", hall_id=console.hall_id)
    answer = console.post(f"/fleet/terminals/{terminal_id}/commands", **form)
    assert answer.status_code == 400
    assert _commands(console, terminal_id) == []


def test_overview_shows_online_offline_and_open_alerts(console: Console) -> None:
    settings = console.app.state.settings
    late = dt.timedelta(seconds=settings.heartbeat_interval * settings.offline_after_missed + 5)
    online = console.add_terminal("accepted", hall_id=console.hall_id, name="在线机",
                                  last_seen_at=utcnow())
    console.add_terminal("accepted", hall_id=console.other_hall_id, name="离线机",
                         last_seen_at=utcnow() - late)
    with console.session() as session:
        session.add_all([Alert(terminal_id=online, kind="printer", message="打印机缺纸"),
                         Alert(terminal_id=online, kind="disk", message="已处理的告警",
                               cleared_at=utcnow())])
        session.commit()
    page = console.client.get("/fleet").text
    first, second = page.split("东关街道公共法律服务工作站", 1)
    assert "在线机" in first and 'class="pill online"' in first and "打印机缺纸" in first
    assert "离线机" in second and 'class="pill offline"' in second
    assert "已处理的告警" not in page
    detail = console.client.get(f"/fleet/terminals/{online}").text
    assert "打印机缺纸" in detail and "在线" in detail


def test_detail_shows_health_config_and_screenshot(console: Console) -> None:
    terminal_id = console.add_terminal(
        "accepted", hall_id=console.hall_id, last_seen_at=utcnow(),
        health={"app_version": "0.3.1", "content_version": "2024.06.01-3", "uptime": 93784,
                "screen": "home", "printer": {"state": "ok"}, "disk_free": 5 * 1024 ** 3,
                "outbox_size": 2, "last_error": "sync: timeout"})
    with console.session() as session:
        fleet_terminal_config.store_config(session, "hall", {"speech": {"rate": 150}},
                                           hall_id=console.hall_id)
        session.commit()
    page = console.client.get(f"/fleet/terminals/{terminal_id}").text
    for shown in ["0.3.1", "2024.06.01-3", "1 天 2 小时", "5.0 GB", "sync: timeout",
                  "speech.rate", "150", "暂无截图"]:
        assert shown in page, shown
    assert console.client.get(f"/fleet/terminals/{terminal_id}/screenshot.png").status_code \
        == 404
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    with console.session() as session:
        session.get(Terminal, terminal_id).screenshot = png
        session.commit()
    shot = console.client.get(f"/fleet/terminals/{terminal_id}/screenshot.png")
    assert shot.status_code == 200 and shot.content == png
    assert shot.headers["content-type"] == "image/png"
    assert "screenshot.png" in console.client.get(f"/fleet/terminals/{terminal_id}").text


def test_labels_cover_the_schema_and_name_known_health_fields_first() -> None:
    assert set(fleet_actions.PROFILES) == set(PROFILES)  # the console knows all
    assert set(fleet_actions.COMMAND_KINDS) == set(terminal_messages.COMMAND_KINDS)
    fields = health_fields({"uptime_s": 59, "zeta": 1, "received_at": "x", "app_version": "1"})
    labels = [label for label, _key, _value in fields]
    assert labels[0] == "应用版本" and labels[-1] == "zeta" and "received_at" not in labels
    assert ("运行时长", "uptime", "0 小时 0 分") in fields


def test_halls_are_data(server_app: FastAPI) -> None:
    with server_app.state.database.sessions() as session:
        fleet_actions.create_hall(session, "V-01", "桃园村公共法律服务工作室", "village")
        with pytest.raises(fleet_actions.FleetActionError):
            fleet_actions.create_hall(session, "V-01", "重复")
        with pytest.raises(fleet_actions.FleetActionError):
            fleet_actions.create_hall(session, "V-02", "级别错误", "planet")
        session.commit()
        assert session.scalars(select(Hall.level)).all() == ["village"]
