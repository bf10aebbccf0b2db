"""HTTP helpers for the queue tests: an enrolled terminal's queue client, a staff session."""

from __future__ import annotations

import re
from pathlib import Path

import requests
from fastapi import FastAPI
from sqlalchemy import select

from kiosk.queue_client import QueueClient
from provisioning.client import TerminalClient
from provisioning.enrol import enrol
from provisioning.identity import TerminalIdentity
from server.fleet_service import create_enrolment_token
from server.models import Hall

_FIELD = r'name="{}"\s+value="([^"]+)"'


def enrolled_queue_client(app: FastAPI, url: str, data_dir: Path, hall_code: str = "QX-01",
                          profile: str = "dispenser") -> QueueClient:
    """A terminal enrolled into the hall by token, with its signed queue client."""
    with app.state.database.sessions() as session:
        hall = session.scalar(select(Hall).where(Hall.code == hall_code))
        assert hall is not None
        token, _row = create_enrolment_token(session, hall.id, profile, 1)
    assert enrol(url, data_dir, token).status == "accepted"
    return QueueClient(TerminalClient(url, TerminalIdentity.load_or_create(data_dir)))


class StaffSession:
    """A signed-in browser-like session that calls the staff queue API with its CSRF token."""

    def __init__(self, url: str, username: str, password: str):
        self.url, self.http = url, requests.Session()
        form = self.http.get(f"{url}/login", timeout=10).text
        login_token = re.search(_FIELD.format("login_token"), form)
        assert login_token is not None
        page = self.http.post(f"{url}/login", timeout=10, data={
            "username": username, "password": password, "login_token": login_token.group(1),
            "next": "/"})
        csrf = re.search(_FIELD.format("csrf_token"), page.text)
        assert page.ok and csrf is not None, page.text[:500]
        self.csrf = csrf.group(1)

    def post(self, path: str, json: dict | None = None) -> requests.Response:
        """POST to the queue API with the CSRF header."""
        return self.http.post(f"{self.url}/api/v1/queue{path}", json=json or {}, timeout=10,
                              headers={"X-CSRF-Token": self.csrf})

    def get(self, path: str) -> requests.Response:
        """GET from the queue API."""
        return self.http.get(f"{self.url}/api/v1/queue{path}", timeout=10)
