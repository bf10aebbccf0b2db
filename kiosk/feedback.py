"""Ratings (好差评) and complaints (投诉建议) from this terminal, through its outbox.

A rating or complaint is written to the outbox on the usage worker (on disk within
milliseconds) and the heartbeat is woken to deliver it at once; an outage or a crash
only delays it, and the server stores it exactly once. The reasons offered for each
level come from the server (a province may set its own) and are kept on disk for
when the server cannot be reached.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from kiosk.queue_link import CHINA_TIME, ui
from provisioning.client import ServerError, ServerRefused

log = logging.getLogger(__name__)
LEVELS_FILE = "rating_levels.json"
LEVELS = (5, 4, 3, 2, 1)  # 非常满意 ... 非常不满意
REASONS_FROM = 3  # levels at or below this ask for reasons
TICKET_NUMBER = re.compile(r"^[A-Z]{1,2}\d{1,4}$")
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")  # mobile, or landline with area code
COMPLAINT_CATEGORIES = ("attitude", "waiting", "process", "environment", "integrity",
                        "suggestion", "other")


class FeedbackLink:
    """The app's way to rate and complain; every callback runs on the UI thread."""

    def __init__(self, app: Any, data_dir: Path):
        self.app, self.path = app, data_dir / LEVELS_FILE
        self.reasons: dict[int, list[str]] = self._load()

    def _load(self) -> dict[int, list[str]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            return {int(item["level"]): [str(r) for r in item["reasons"]]
                    for item in data["levels"]}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("%s unreadable (%s); no reasons until the server sends them",
                        self.path, error)
            return {}

    @property
    def client(self) -> Any:
        """The signed server client, or None when the terminal is not enrolled."""
        return getattr(getattr(self.app, "link", None), "client", None)

    def refresh_levels(self) -> None:
        """Fetch the levels and their reasons from the server (worker thread)."""
        client = self.client
        if client is None:
            return

        def work() -> None:
            try:
                data = client.json_request("GET", "/api/v1/ratings/levels")
                reasons = {int(item["level"]): [str(r) for r in item["reasons"]]
                           for item in data["levels"]}
            except (ServerError, requests.RequestException, ValueError, KeyError,
                    TypeError) as error:
                log.warning("could not load the rating reasons: %s", error)
                return
            self.reasons = reasons
            try:
                temporary = self.path.with_suffix(".tmp")
                temporary.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
                temporary.replace(self.path)
            except OSError as error:
                log.warning("could not keep the rating reasons: %s", error)

        threading.Thread(target=work, name="rating-levels", daemon=True).start()

    def check_ticket(self, number: str, on_ok: Callable[[dict[str, Any]], None],
                     on_refused: Callable[[str], None], on_offline: Callable[[], None]) -> None:
        """Whether today's ticket `number` can be rated: on_ok(ticket), on_refused(code)
        (unknown_ticket, not_finished, already_rated) or on_offline()."""
        client = self.client
        if client is None:
            on_offline()
            return

        def work() -> None:
            try:
                reply = client.json_request("GET", f"/api/v1/ratings/ticket/{number}")
            except ServerRefused as refused:
                ui(on_refused, refused.message.split(":")[0].strip())
            except (ServerError, requests.RequestException, ValueError) as error:
                log.warning("could not check ticket %s: %s", number, error)
                ui(on_offline)
            else:
                ui(on_ok, reply)

        threading.Thread(target=work, name="rating-check", daemon=True).start()

    def rate(self, level: int, reasons: list[str], source: str, ticket: int | None = None,
             number: str = "") -> None:
        """Queue a rating of a ticket (its server id, or today's number) or of the hall."""
        payload: dict[str, Any] = {"level": level, "reasons": reasons, "source": source,
                                   "rated_at": dt.datetime.now(dt.UTC).isoformat()}
        if ticket is not None:
            payload["ticket"] = ticket
        elif number:
            payload["ticket_number"] = number
            payload["day"] = dt.datetime.now(CHINA_TIME).date().isoformat()
        self._submit("rating", payload)

    def complain(self, category: str, phone: str) -> None:
        """Queue a complaint or suggestion with an optional call-back number."""
        self._submit("complaint", {"category": category, "phone": phone,
                                   "at": dt.datetime.now(dt.UTC).isoformat()})

    def _submit(self, kind: str, payload: dict[str, Any]) -> None:
        log.info("%s queued for the server: %s", kind,
                 {k: v for k, v in payload.items() if k != "phone"})
        self.app.usage.submit(kind, payload, stored=lambda _key: self._deliver())

    def _deliver(self) -> None:
        heartbeat = getattr(getattr(self.app, "link", None), "heartbeat", None)
        if heartbeat is not None:
            heartbeat.wake()  # deliver now, not at the next heartbeat
