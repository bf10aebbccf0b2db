"""呼叫工作人员 over real HTTP on SQLite and PostgreSQL: a terminal's call, the staff board,
acknowledgement once, and what another terminal or hall may not see."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from protocol.queue import HelpAlert, HelpRequest
from provisioning.client import ServerRefused, TerminalClient
from server.fleet.actions import create_hall
from server.security import create_user
from tests.provisioning.live_server import live_server
from tests.server.queue_http import StaffSession, enrolled_queue_client
from tests.server.queue_setup import PASSWORD, QueueHall, make_queue_hall


@pytest.fixture
def hall(server_app: FastAPI) -> QueueHall:
    with server_app.state.database.sessions() as session:
        queue_hall = make_queue_hall(session)
        create_hall(session, "QX-02", "另一个工作站", "township")
        create_user(session, "other.staff", PASSWORD, "staff", "QX-02")
        session.commit()
        return queue_hall


@pytest.fixture
def url(server_app: FastAPI, hall: QueueHall) -> Iterator[str]:
    with live_server(server_app) as url:
        yield url


def call(client: TerminalClient, screen: str, title: str) -> HelpAlert:
    """呼叫工作人员 as the terminal sends it."""
    body = HelpRequest(screen=screen, title=title).model_dump()
    return client.typed_request("POST", "/api/v1/queue/help", HelpAlert, json=body)


def test_a_call_shows_on_the_board_until_acknowledged_once(
        server_app: FastAPI, url: str, hall: QueueHall, tmp_path: Path) -> None:
    terminal = enrolled_queue_client(server_app, url, tmp_path / "one", profile="query").client
    alert = call(terminal, "guide_detail", "法律援助")
    assert alert.terminal.endswith(" 号终端") and alert.acknowledged_at is None
    staff = StaffSession(url, hall.staff[1].username, PASSWORD)
    board = staff.get("/staff/board").json()
    assert [(a["id"], a["screen"], a["title"]) for a in board["help"]] == [
        (alert.id, "guide_detail", "法律援助")]
    assert board["last_event_id"] >= alert.id  # on the hall's feed

    done = staff.post(f"/help/{alert.id}/acknowledge")
    assert done.status_code == 200 and done.json()["acknowledged_at"]
    by = done.json()["acknowledged_by"]
    again = staff.post(f"/help/{alert.id}/acknowledge")  # a second 已处理 (another window)
    assert again.status_code == 200 and again.json()["acknowledged_at"] == done.json()[
        "acknowledged_at"] and again.json()["acknowledged_by"] == by
    assert staff.get("/staff/board").json()["help"] == []
    seen = terminal.typed_request("GET", f"/api/v1/queue/help/{alert.id}", HelpAlert)
    assert seen.acknowledged_at is not None and seen.acknowledged_by == by


def test_calls_stay_in_their_hall_and_with_their_terminal(
        server_app: FastAPI, url: str, hall: QueueHall, tmp_path: Path) -> None:
    one = enrolled_queue_client(server_app, url, tmp_path / "one", profile="query").client
    two = enrolled_queue_client(server_app, url, tmp_path / "two", profile="query").client
    alert = call(one, "home", "")
    with pytest.raises(ServerRefused) as refused:  # another terminal cannot follow it
        two.typed_request("GET", f"/api/v1/queue/help/{alert.id}", HelpAlert)
    assert refused.value.status == 404
    other = StaffSession(url, "other.staff", PASSWORD)
    assert other.get("/staff/board").json()["help"] == []
    wrong = other.post(f"/help/{alert.id}/acknowledge")
    assert wrong.status_code == 404 and wrong.json()["message"] == "没有这条求助。"
    assert other.post("/help/999999/acknowledge").status_code == 404
    with pytest.raises(ServerRefused):  # a screen name is required
        one.request("POST", "/api/v1/queue/help", json={"screen": "", "title": ""})
