"""The queue over real HTTP on SQLite and PostgreSQL: terminals, staff, the live feed, phones."""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fastapi import FastAPI

from kiosk.queue_client import BoardFeed, QueueClient, TicketRefused, new_request_key
from protocol.enums import QueueEventKind
from protocol.queue import Board, QueueEvent
from tests.provisioning.live_server import live_server, set_status
from tests.server.queue_http import StaffSession, enrolled_queue_client
from tests.server.queue_setup import PASSWORD, QueueHall, make_queue_hall


@pytest.fixture
def hall(server_app: FastAPI) -> QueueHall:
    with server_app.state.database.sessions() as session:
        return make_queue_hall(session)


@pytest.fixture
def url(server_app: FastAPI, hall: QueueHall) -> Iterator[str]:
    with live_server(server_app) as url:
        yield url


@pytest.fixture
def terminal(server_app: FastAPI, url: str, tmp_path: Path) -> QueueClient:
    return enrolled_queue_client(server_app, url, tmp_path / "terminal")


def staff(url: str, hall: QueueHall, number: int) -> StaffSession:
    return StaffSession(url, hall.staff[number].username, PASSWORD)


def test_a_ticket_per_request_key_and_clear_refusals(terminal: QueueClient) -> None:
    key = new_request_key()
    first = terminal.take_ticket("legal-aid", key)
    again = terminal.take_ticket("legal-aid", key)  # a double tap or a retry
    assert (first.number, first.state, first.people_ahead) == ("A001", "waiting", 0)
    assert again.id == first.id and len(first.token) >= 16
    assert first.hall_name == "青溪市公共法律服务中心"
    assert terminal.take_ticket("legal-aid", new_request_key()).number == "A002"
    for _ in range(3):
        terminal.take_ticket("notary", new_request_key())
    for service, priority, code in (("notary", "normal", "daily_cap"),
                                    ("divorce", "normal", "unknown_service"),
                                    ("legal-aid", "vip", "invalid request")):
        with pytest.raises(TicketRefused) as refused:
            terminal.take_ticket(service, new_request_key(), priority)
        assert refused.value.code == code
    services = {s.code: s for s in terminal.services().services}
    assert services["legal-aid"].waiting == 2 and services["notary"].waiting == 3


def test_revoked_terminal_gets_no_ticket(server_app: FastAPI, terminal: QueueClient) -> None:
    terminal.take_ticket("legal-aid", new_request_key())
    device = terminal.client.identity.device_id  # type: ignore[attr-defined]
    set_status(server_app, device, "revoked", "QX-01")
    with pytest.raises(TicketRefused) as refused:
        terminal.take_ticket("legal-aid", new_request_key())
    assert (refused.value.status, refused.value.code) == (403, "terminal revoked")
    assert terminal.client.revoked  # and it sends nothing more


def test_feed_brings_each_change_within_a_second_and_catches_up(
        terminal: QueueClient, url: str, hall: QueueHall) -> None:
    events: queue.Queue[tuple[QueueEvent, float]] = queue.Queue()
    boards: list[Board] = []
    feed = BoardFeed(terminal, boards.append, lambda e: events.put((e, time.monotonic())))
    feed.start()
    deadline = time.monotonic() + 10
    while not feed.status.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # the stream request is under way
    window = staff(url, hall, 1)
    ticket = terminal.take_ticket("legal-aid", new_request_key())
    sent = time.monotonic()
    reply = window.post("/windows/1/call-next")
    assert reply.status_code == 200 and reply.json()["number"] == "A001"
    issued, _received = events.get(timeout=5)
    called, received = events.get(timeout=5)
    assert issued.kind == "issued" and issued.ticket == ticket.id
    assert called.kind == "called" and called.window == 1 and called.number == "A001"
    assert received - sent < 1.0
    # Each event says when it happened: the time the call was stored, as the ticket has it.
    called_at = reply.json()["called_at"]
    assert called.at == dt.datetime.fromisoformat(called_at)
    assert called.kind == QueueEventKind.CALLED
    feed.stop()
    # While nobody listens, two changes; a client reconnecting after the last id gets both.
    window.post(f"/windows/1/tickets/{ticket.id}/recall")
    window.post(f"/windows/1/tickets/{ticket.id}/finish")
    caught_up = []
    for event in terminal.events(called.id):
        caught_up.append(event.kind)
        if len(caught_up) == 2:
            break
    assert caught_up == ["recalled", "finished"]


def test_staff_api_refusals(url: str, hall: QueueHall, terminal: QueueClient) -> None:
    window = staff(url, hall, 1)
    empty = window.post("/windows/1/call-next")
    assert empty.status_code == 409 and empty.json()["message"] == "当前没有等候的号码。"
    no_csrf = window.http.post(f"{url}/api/v1/queue/windows/1/call-next", timeout=10)
    assert no_csrf.status_code == 403
    assert window.post("/windows/3/call-next").json()["error"] == "not_your_window"
    assert window.post("/windows/77/call-next").status_code == 404
    ticket = terminal.take_ticket("legal-aid", new_request_key())
    window.post("/windows/1/call-next")
    assert window.post(f"/windows/1/tickets/{ticket.id}/finish").status_code == 200
    twice = window.post(f"/windows/1/tickets/{ticket.id}/finish")
    assert twice.status_code == 409 and twice.json()["error"] == "wrong_state"
    pause = window.post("/windows/1/state", {"state": "paused"})
    assert pause.status_code == 422 and pause.json()["error"] == "reason_required"
    malformed = window.post("/windows/1/state", {"state": "asleep"})
    assert malformed.status_code == 422
    board = window.get("/staff/board").json()
    assert board["windows"][0]["state"] == "open" and board["me"]["role"] == "staff"


def test_phone_page_follows_its_ticket(url: str, hall: QueueHall, terminal: QueueClient) -> None:
    terminal.take_ticket("legal-aid", new_request_key())
    mine = terminal.take_ticket("legal-aid", new_request_key())
    status = requests.get(f"{url}/t/{mine.token}/status", timeout=10).json()
    assert (status["number"], status["state"], status["people_ahead"]) == ("A002", "waiting", 1)
    assert "token" not in status or status["token"] == mine.token
    assert requests.get(f"{url}/t/not-a-real-token-123/status", timeout=10).status_code == 404
    updates: queue.Queue[dict] = queue.Queue()

    def listen() -> None:
        with requests.get(f"{url}/t/{mine.token}/events", stream=True,
                          timeout=(5, 30)) as response:
            for line in response.iter_lines(chunk_size=None, decode_unicode=True):
                if line.startswith("data:"):
                    updates.put(json.loads(line[5:]))

    threading.Thread(target=listen, daemon=True).start()
    time.sleep(0.5)
    window = staff(url, hall, 2)
    window.post("/windows/2/call-next")  # calls A001: A002 moves up
    assert updates.get(timeout=5)["people_ahead"] == 0
    window.post("/windows/2/tickets/1/finish")
    window.post("/windows/2/call-next")
    called = updates.get(timeout=5)
    assert (called["state"], called["window"]) == ("called", 2)
    assert called["state_text"] == "请到窗口办理"


def test_unknown_phone_page_is_a_chinese_page(url: str) -> None:
    response = requests.get(f"{url}/t/not-a-real-token-123", timeout=10)
    assert response.status_code == 404 and "没有找到这张号票" in response.text
