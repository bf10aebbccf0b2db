"""呼叫工作人员: the visitor asks for a person; the hall's consoles show it until staff answer.

The call goes through the terminal's signed channel (POST /api/v1/queue/help); a worker
then asks every few seconds whether staff acknowledged it. What the visitor is told
follows ``AppState.help_status``: sending, waiting (已通知工作人员，请稍候), coming (工作人员马上
就到) or failed. Nothing here runs on the UI thread except the status changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import requests
from kivy.clock import Clock

from kiosk.connectivity import Connectivity
from kiosk.state import AppState
from protocol.queue import HelpAlert, HelpRequest
from provisioning.client import ServerError

log = logging.getLogger(__name__)
POLL_SECONDS = 3.0
GIVE_UP_SECONDS = 15 * 60  # stop asking after this; the console still shows the call
IDLE, SENDING, WAITING, COMING, FAILED = "", "sending", "waiting", "coming", "failed"


class HelpCall:
    """One call for staff at a time, per visitor session."""

    def __init__(self, link: Connectivity, state: AppState):
        self.link, self.state = link, state
        self.alert: HelpAlert | None = None
        self._generation = 0
        self._stop = threading.Event()

    def request(self, screen: str, title: str) -> None:
        """Call staff to this screen (a second press while waiting only repeats the status)."""
        if self.state.help_status in (SENDING, WAITING):
            self.state.property("help_status").dispatch(self.state)
            return
        client = self.link.client
        if client is None:
            log.warning("help requested on %s, but the terminal is not enrolled", screen)
            self._set(FAILED)
            return
        self.reset()
        generation, stop = self._generation, self._stop
        self._set(SENDING)
        body = HelpRequest(screen=screen[:40], title=title[:100])

        def run() -> None:
            try:
                alert = client.typed_request("POST", "/api/v1/queue/help", HelpAlert,
                                             json=body.model_dump())
            except (ServerError, requests.RequestException, ValueError) as error:
                log.warning("could not call staff: %s", error)
                self._to_ui(generation, lambda: self._set(FAILED))
                return
            log.info("staff called from %s (alert %s)", screen, alert.id)
            self._to_ui(generation, lambda: self._waiting(alert))
            waited = 0.0
            while not stop.wait(POLL_SECONDS) and waited < GIVE_UP_SECONDS:
                waited += POLL_SECONDS
                try:
                    alert = client.typed_request("GET", f"/api/v1/queue/help/{alert.id}",
                                                 HelpAlert)
                except (ServerError, requests.RequestException, ValueError) as error:
                    log.info("could not ask about the call for staff: %s", error)
                    continue
                if alert.acknowledged_at is not None:
                    self._to_ui(generation, lambda: self._set(COMING))
                    return

        threading.Thread(target=run, name="help-call", daemon=True).start()

    def reset(self) -> None:
        """Forget the call (a new visitor): stop asking about it."""
        self._generation += 1
        self._stop.set()
        self._stop = threading.Event()
        self.alert = None
        self.state.help_status = IDLE

    def _waiting(self, alert: HelpAlert) -> None:
        self.alert = alert
        self._set(WAITING)

    def _set(self, status: str) -> None:
        self.state.help_status = status

    def _to_ui(self, generation: int, function: Callable[[], None]) -> None:
        def deliver(_dt: float) -> None:
            if generation == self._generation:
                function()

        Clock.schedule_once(deliver, 0)
