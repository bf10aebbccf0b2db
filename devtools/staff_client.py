"""A staff member's HTTP client of the queue API: signs in like a browser, sends the CSRF header.

Used by the demo's scripted calls, the benchmarks and the tests; the console page
does the same from JavaScript.
"""

from __future__ import annotations

import re
from typing import Any

import requests

_FIELD = r'name="{}"\s+value="([^"]+)"'


class StaffSession:
    """A signed-in browser-like session that calls the staff queue API with its CSRF token."""

    def __init__(self, url: str, username: str, password: str):
        self.url, self.http = url, requests.Session()
        form = self.http.get(f"{url}/login", timeout=10).text
        login_token = re.search(_FIELD.format("login_token"), form)
        if login_token is None:
            raise RuntimeError(f"{url}/login shows no sign-in form")
        page = self.http.post(f"{url}/login", timeout=10, data={
            "username": username, "password": password, "login_token": login_token.group(1),
            "next": "/"})
        csrf = re.search(_FIELD.format("csrf_token"), page.text)
        if not page.ok or csrf is None:
            raise RuntimeError(f"sign-in as {username!r} failed (HTTP {page.status_code})")
        self.csrf = csrf.group(1)

    def post(self, path: str, json: dict[str, Any] | None = None) -> requests.Response:
        """POST to the queue API with the CSRF header."""
        return self.http.post(f"{self.url}/api/v1/queue{path}", json=json or {}, timeout=10,
                              headers={"X-CSRF-Token": self.csrf})

    def get(self, path: str) -> requests.Response:
        """GET from the queue API."""
        return self.http.get(f"{self.url}/api/v1/queue{path}", timeout=10)
