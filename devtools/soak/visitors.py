"""The soak's people: visitors arriving over the day (tickets, some complaints) and the
staff at the two windows calling, serving and finishing, retrying through outages.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from typing import Any

import requests

from devtools.soak.prepare import PASSWORD
from devtools.soak.processes import Soak, sleep_until

log = logging.getLogger(__name__)
COMPLAINT_SHARE = 0.05
CATEGORIES = ("waiting", "attitude", "suggestion", "process", "environment")


def visitor_plan(soak: Soak) -> list[tuple[float, int, str, bool]]:
    """(run seconds, visitor, service, complains) for the day: arrivals peak mid-morning and
    mid-afternoon, none in the last tenth so the queue can empty."""
    rng = random.Random(soak.seed)
    plan = []
    for visitor in range(1, soak.visitors + 1):
        morning = rng.random() < 0.6
        at = rng.triangular(0.0, 0.45, 0.18) if morning else rng.triangular(0.45, 0.88, 0.62)
        plan.append((at * soak.seconds, visitor, rng.choice(("legal-aid", "consult")),
                     rng.random() < COMPLAINT_SHARE))
    return sorted(plan)


def run_visitors(soak: Soak, stop: threading.Event) -> None:
    """Each visitor takes a ticket at the dispenser; some leave a complaint at the query
    terminal (a phone number unique to the visitor)."""
    for at, visitor, service, complains in visitor_plan(soak):
        if not sleep_until(soak, at, stop):
            return
        soak.send("dispenser", op="ticket", service=service, key=uuid.uuid4().hex,
                  visitor=visitor)
        if complains:
            soak.send("query", op="complain", category=CATEGORIES[visitor % len(CATEGORIES)],
                      phone=f"139{visitor:08d}")


def staff_worker(soak: Soak, number: int, stop: threading.Event,
                 day_over: threading.Event) -> None:
    """A staff member at window number: 叫号, sometimes 重呼, serves, 办结; retries through
    outages. A call whose reply was lost leaves that ticket called and unfinished."""
    from devtools.staff_client import StaffSession

    rng = random.Random(soak.seed * 10 + number)
    serve = (soak.seconds / max(1, soak.visitors)) * 2 * 0.6  # two windows, kept ahead
    session: StaffSession | None = None
    done = 0
    while not stop.is_set():
        try:
            if session is None:
                session = StaffSession(soak.server_url, f"staff{number}", PASSWORD)
                session.post(f"/windows/{number}/sign-in").raise_for_status()
            reply = session.post(f"/windows/{number}/call-next")
            if reply.status_code != 200:
                if reply.status_code == 409 and reply.json().get("error") == "window_busy":
                    # The call went through but its reply was lost in an outage: the
                    # console shows the ticket at the window; serve it.
                    ticket = _current(session, number)
                elif day_over.is_set():
                    break
                else:
                    stop.wait(0.5)
                    continue
            else:
                ticket = reply.json()
            stop.wait(rng.uniform(0.3, 1.0) * serve)
            if rng.random() < 0.05:
                session.post(f"/windows/{number}/tickets/{ticket['id']}/recall")
                stop.wait(0.3 * serve)
            _until_ok(session, f"/windows/{number}/tickets/{ticket['id']}/finish", stop)
            done += 1
        except (requests.RequestException, RuntimeError, ValueError) as error:
            log.info("staff%d: %s; trying again", number, error)
            session = None
            stop.wait(1.0)
    soak.staff_done[number] = done


def _current(session: Any, number: int) -> dict[str, Any]:
    """The ticket at window number, as the staff console shows it."""
    board = session.get("/staff/board").json()
    window = next(w for w in board["windows"] if w["number"] == number)
    if not window.get("current"):
        raise RuntimeError(f"window {number} is busy but shows no ticket")
    current: dict[str, Any] = window["current"]
    return current


def _until_ok(session: Any, path: str, stop: threading.Event) -> None:
    """POST path until the server answers it (an outage delays 办结, never skips it)."""
    while not stop.is_set():
        try:
            reply = session.post(path)
            if reply.status_code < 500:
                return
        except requests.RequestException:
            pass
        stop.wait(1.0)
