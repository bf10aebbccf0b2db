"""Windows resolved per hall: content names the service, the hall's queue set-up the windows.
The services reply, the issued ticket and the visitor's phone page name the windows serving it."""

from __future__ import annotations

import re

import requests
from fastapi import FastAPI

from kiosk.queue_client import QueueClient, new_request_key
from server.queue.views import services_view
from tests.server.queue_setup import SETUP, QueueHall, make_queue_hall
from tests.server.test_queue_api import hall, terminal, url

__all__ = ["hall", "terminal", "url"]  # fixtures, used by name


def test_services_reply_names_the_windows_of_this_hall(terminal: QueueClient) -> None:
    services = {s.code: s.windows for s in terminal.services().services}
    assert services == {"legal-aid": [1, 2], "notary": [2, 3], "mediation": [4]}
    ticket = terminal.take_ticket("notary", new_request_key())
    assert ticket.service_windows == [2, 3] and ticket.window is None  # not called yet


def test_the_same_service_is_served_at_another_window_in_another_hall(
        server_app: FastAPI, hall: QueueHall) -> None:
    setup = {**SETUP, "windows": [
        {"number": 7, "name": "综合窗口", "services": ["legal-aid", "notary", "mediation"]}]}
    with server_app.state.database.sessions() as session:
        other = make_queue_hall(session, setup, code="QX-02")
        theirs = {s["code"]: s["windows"] for s in services_view(session, other.hall)}
        ours = {s["code"]: s["windows"] for s in services_view(session, session.merge(hall.hall))}
    assert theirs == {"legal-aid": [7], "notary": [7], "mediation": [7]}
    assert ours == {"legal-aid": [1, 2], "notary": [2, 3], "mediation": [4]}


def test_phone_page_says_which_window_serves_the_ticket(url: str,
                                                        terminal: QueueClient) -> None:
    mine = terminal.take_ticket("legal-aid", new_request_key())
    page = requests.get(f"{url}/t/{mine.token}", timeout=10)
    assert page.status_code == 200
    where = re.search(r'<p class="where" id="where">(.*?)</p>', page.text)
    assert where is not None
    assert re.sub(r"<[^>]+>", "", where.group(1)) == "在 1、2 号窗口办理"
    status = requests.get(f"{url}/t/{mine.token}/status", timeout=10).json()
    assert status["service_windows"] == [1, 2]
