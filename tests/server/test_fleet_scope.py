"""An IT admin with a hall sees and acts on that hall only; one without a hall, on every hall."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select

from server.fleet import actions as fleet_actions
from server.fleet import commands as fleet_commands
from server.fleet import enrolment as fleet_enrolment
from server.models import Command, EnrolmentToken, Terminal
from server.security import create_user
from tests.server.test_auth import PASSWORD, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@dataclass
class Fleet:
    """Two halls, each with a terminal and a token, a pending request without a hall, and
    two IT admins: one of the first hall, one for the province."""

    app: FastAPI
    client: TestClient
    own_hall: int
    other_hall: int
    own_terminal: int
    other_terminal: int
    pending: int

    def sign_in(self, username: str) -> str:
        """Sign username in on the client; return the CSRF token."""
        return sign_in(self.client, username)

    def post(self, csrf: str, path: str, **form: str) -> Response:
        """A form POST with the CSRF token, redirects not followed."""
        return self.client.post(path, data={**form, "csrf_token": csrf},
                                follow_redirects=False)

    def count(self, model: type, **where: object) -> int:
        """Rows of model matching where."""
        with self.app.state.database.sessions() as session:
            query = select(func.count()).select_from(model).filter_by(**where)
            return session.scalar(query) or 0

    def status(self, terminal_id: int) -> str:
        """A terminal's status as stored."""
        with self.app.state.database.sessions() as session:
            terminal = session.get(Terminal, terminal_id)
            assert terminal is not None
            return terminal.status


def _terminal(status: str, name: str, hall_id: int | None, hostname: str) -> Terminal:
    return Terminal(device_id=hashlib.sha256(hostname.encode()).hexdigest(), public_key="A" * 44,
                    status=status, hall_id=hall_id, name=name, screenshot=PNG,
                    identity={"hostname": hostname, "mac": "52:54:00:12:34:56"})


@pytest.fixture
def fleet(server_app: FastAPI, client: TestClient) -> Fleet:
    """The two halls, their terminals, tokens and admins."""
    with server_app.state.database.sessions() as session:
        own = fleet_actions.create_hall(session, "GZ-TH-01", "城关区公共法律服务中心")
        other = fleet_actions.create_hall(session, "GZ-DG-02", "东关街道公共法律服务工作站",
                                          "township")
        rows = [_terminal("accepted", "城关一楼查询机", own.id, "chengguan-01"),
                _terminal("accepted", "东关叫号屏", other.id, "dongguan-01"),
                _terminal("pending", "", None, "unknown-kiosk")]
        session.add_all(rows)
        session.flush()
        fleet_commands.queue_command(session, rows[1].id, "reload_content")
        create_user(session, "it.chengguan", PASSWORD, "it_admin", "GZ-TH-01")
        create_user(session, "it.province", PASSWORD, "it_admin")
        session.commit()
        for hall in (own, other):
            fleet_enrolment.create_enrolment_token(session, hall.id, "query", 72)
    return Fleet(server_app, client, own.id, other.id, *(row.id for row in rows))


def test_a_hall_admin_sees_only_their_hall(fleet: Fleet) -> None:
    fleet.sign_in("it.chengguan")
    overview = fleet.client.get("/fleet").text
    assert "城关区公共法律服务中心" in overview and "城关一楼查询机" in overview
    assert "东关" not in overview and "未分配大厅" not in overview
    pending = fleet.client.get("/fleet/pending").text
    assert "unknown-kiosk" not in pending and "目前没有待审批的注册请求" in pending
    assert "未分配大厅的注册请求由全省运维管理员审批" in pending
    assert 'class="badge"' not in pending  # the header counts only what they may decide
    tokens = fleet.client.get("/fleet/tokens").text
    assert "城关区公共法律服务中心" in tokens and "东关" not in tokens
    assert tokens.count('<span class="pill online">有效</span>') == 1
    assert fleet.client.get(f"/fleet/terminals/{fleet.own_terminal}").status_code == 200
    own_shot = fleet.client.get(f"/fleet/terminals/{fleet.own_terminal}/screenshot.png")
    assert own_shot.status_code == 200 and own_shot.content == PNG
    unknown = fleet.client.get("/fleet/terminals/99999")
    for path in (f"/fleet/terminals/{fleet.other_terminal}",
                 f"/fleet/terminals/{fleet.pending}"):
        hidden = fleet.client.get(path)
        assert hidden.status_code == 404 and hidden.text == unknown.text  # nothing revealed
        assert "东关叫号屏" not in hidden.text
    assert fleet.client.get(
        f"/fleet/terminals/{fleet.other_terminal}/screenshot.png").status_code == 404


def test_a_hall_admin_cannot_act_on_another_hall(fleet: Fleet,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    csrf = fleet.sign_in("it.chengguan")
    caplog.set_level(logging.WARNING, logger="server.fleet.scope")
    other = f"/fleet/terminals/{fleet.other_terminal}"
    assert fleet.post(csrf, f"{other}/commands", kind="restart_app").status_code == 404
    assert fleet.post(csrf, f"{other}/commands", kind="restart_app",
                      expires_minutes="0").status_code == 404  # not even the form is checked
    assert fleet.count(Command, terminal_id=fleet.other_terminal) == 1  # the one made before
    assert fleet.post(csrf, f"{other}/revoke", confirm="yes").status_code == 404
    assert fleet.status(fleet.other_terminal) == "accepted"
    pending = f"/fleet/pending/{fleet.pending}"
    assert fleet.post(csrf, f"{pending}/accept", hall_id=str(fleet.own_hall),
                      profile="query").status_code == 404
    assert fleet.post(csrf, f"{pending}/reject").status_code == 404
    assert fleet.status(fleet.pending) == "pending"
    refused = fleet.post(csrf, "/fleet/tokens", hall_id=str(fleet.other_hall), profile="query")
    assert refused.status_code == 400 and "所选大厅不存在" in refused.text
    assert "东关" not in refused.text
    assert fleet.count(EnrolmentToken, hall_id=fleet.other_hall) == 1
    refusals = [record.getMessage() for record in caplog.records]
    assert refusals.count(f"it_admin 'it.chengguan' of hall #{fleet.own_hall} refused "
                          f"terminal #{fleet.other_terminal}: outside the hall") == 3
    assert f"refused terminal #{fleet.pending}: outside the hall" in caplog.text
    assert f"refused hall #{fleet.other_hall}: outside the hall" in caplog.text
    # Their own hall works as before.
    own = f"/fleet/terminals/{fleet.own_terminal}"
    assert fleet.post(csrf, f"{own}/commands", kind="restart_app").status_code == 303
    assert fleet.count(Command, terminal_id=fleet.own_terminal) == 1
    made = fleet.post(csrf, "/fleet/tokens", hall_id=str(fleet.own_hall), profile="display")
    assert made.status_code == 200 and 'id="new-token"' in made.text
    assert fleet.count(EnrolmentToken, hall_id=fleet.own_hall) == 2
    assert fleet.post(csrf, f"{own}/revoke", confirm="yes").status_code == 303
    assert fleet.status(fleet.own_terminal) == "revoked"


def test_a_hall_admin_decides_requests_of_their_hall_only_into_it(fleet: Fleet) -> None:
    with fleet.app.state.database.sessions() as session:
        request = _terminal("pending", "", fleet.own_hall, "hall-kiosk")
        session.add(request)
        session.commit()
        request_id = request.id
    csrf = fleet.sign_in("it.chengguan")
    page = fleet.client.get("/fleet/pending").text
    assert "hall-kiosk" in page and "unknown-kiosk" not in page and 'class="badge"' in page
    assert "东关" not in page  # the hall choice offers their hall only
    into_other = fleet.post(csrf, f"/fleet/pending/{request_id}/accept",
                            hall_id=str(fleet.other_hall), profile="query")
    assert into_other.status_code == 409 and "所选大厅不存在" in into_other.text
    assert fleet.status(request_id) == "pending"
    assert fleet.post(csrf, f"/fleet/pending/{request_id}/accept", hall_id=str(fleet.own_hall),
                      profile="query").status_code == 303
    assert fleet.status(request_id) == "accepted"


def test_a_province_admin_sees_and_acts_on_every_hall(fleet: Fleet) -> None:
    csrf = fleet.sign_in("it.province")
    overview = fleet.client.get("/fleet").text
    assert "城关一楼查询机" in overview and "东关叫号屏" in overview
    pending = fleet.client.get("/fleet/pending").text
    assert "unknown-kiosk" in pending and "东关街道公共法律服务工作站" in pending
    assert "未分配大厅的注册请求由全省运维管理员审批" not in pending
    tokens = fleet.client.get("/fleet/tokens").text
    assert tokens.count('<span class="pill online">有效</span>') == 2
    other = f"/fleet/terminals/{fleet.other_terminal}"
    assert fleet.client.get(other).status_code == 200
    assert fleet.client.get(f"{other}/screenshot.png").content == PNG
    assert fleet.post(csrf, f"{other}/commands", kind="restart_app").status_code == 303
    assert fleet.count(Command, terminal_id=fleet.other_terminal) == 2
    assert fleet.post(csrf, f"{other}/revoke", confirm="yes").status_code == 303
    assert fleet.post(csrf, "/fleet/tokens", hall_id=str(fleet.other_hall),
                      profile="rater").status_code == 200
    assert fleet.count(EnrolmentToken, hall_id=fleet.other_hall) == 2
    assert fleet.post(csrf, f"/fleet/pending/{fleet.pending}/accept",
                      hall_id=str(fleet.other_hall), profile="display").status_code == 303
    assert fleet.status(fleet.pending) == "accepted"
