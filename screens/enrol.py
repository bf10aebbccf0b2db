"""Enrol the terminal with the central server: address and token typed on an on-screen keyboard."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

from kivy.properties import BooleanProperty, OptionProperty, StringProperty

from kiosk.queue_link import on_ui_thread_later
from kiosk.widgets import add_keys
from provisioning.client import ServerRefused, ServerUnavailable
from provisioning.enrol import EnrolmentError, enrol
from provisioning.identity import EnrolmentState, load_state
from screens.base import BaseScreen, _, sentences

URL_START = "http://"
MAX_URL = 120
MAX_TOKEN = 29  # XXXXX-XXXXX-XXXXX-XXXXX with room for a stray dash
POLL_SECONDS = 5.0  # while pending and the screen is open
EXTRA_KEYS = "1234567890.:/-"


def malformed_url(url: str) -> str:
    """Why url cannot be a server address ('' when it looks usable)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"scheme must be http or https: {url!r}"
    if not parts.hostname:
        return f"no host name: {url!r}"
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"{exc}: {url!r}"
    return ""


class EnrolScreen(BaseScreen):
    """Staff connect the terminal to the server here (reachable only from the admin screen)."""

    lifetime = "process"  # the server address typed by staff stays

    url = StringProperty(URL_START)
    token = StringProperty("")
    field = OptionProperty("url", options=["url", "token"])
    message = StringProperty("")
    detail = StringProperty("")
    error = BooleanProperty(False)
    busy = BooleanProperty(False)
    _stop: threading.Event | None = None

    def on_kv_post(self, base_widget: object) -> None:
        """Create the keys once."""
        for container, keys in ((self.ids.keyboard, self.ids.keyboard.keys),
                                (self.ids.extra, EXTRA_KEYS)):
            add_keys(container, keys, self.type_key)

    def refresh(self) -> None:
        """Title; the saved server address; the current enrolment as the message."""
        self.title = _("Connect to server")
        state = load_state(self.services.config.data_dir)
        if state.server_url and self.url == URL_START:
            self.url = state.server_url
        self.field = "token" if self.url != URL_START else "url"
        if not self.busy:
            self._show(state, detail="")

    def select(self, field: str) -> None:
        """Type into this field from now on."""
        self.field = field

    def type_key(self, key: str) -> None:
        """Append a key to the selected field (host names lower case, tokens upper case)."""
        if self.field == "url":
            if len(self.url) < MAX_URL:
                self.url += key.lower()
        elif len(self.token) < MAX_TOKEN:
            self.token += key.upper()

    def backspace(self) -> None:
        """Delete the last character of the selected field."""
        if self.field == "url":
            self.url = self.url[:-1]
        else:
            self.token = self.token[:-1]

    def clear(self) -> None:
        """Empty the selected field (the address back to http://)."""
        if self.field == "url":
            self.url = URL_START
        else:
            self.token = ""

    def connect(self) -> None:
        """Send the enrolment in a worker; it keeps polling while pending and the screen is open."""
        if self.busy:
            return
        url, token = self.url.strip(), self.token.strip().upper()
        problem = malformed_url(url)
        if problem:
            self._say(_("The server address is not valid"), problem, error=True)
            return
        self.busy = True
        self._say(_("Connecting…"), url, error=False)
        self._stop = stop = threading.Event()
        data_dir = self.services.config.data_dir
        threading.Thread(target=self._work, args=(url, data_dir, token or None, stop),
                         name="enrol", daemon=True).start()

    def _work(self, url: str, data_dir: Any, token: str | None, stop: threading.Event) -> None:
        """Worker: enrol, poll while pending, hand each answer to the UI thread."""
        try:
            state = enrol(url, data_dir, token, wait=None, poll_interval=POLL_SECONDS,
                          stop=stop, on_status=self._status)
        except (EnrolmentError, ServerRefused) as exc:
            self._failed(_("The server refused this terminal"), str(exc))
        except ServerUnavailable as exc:
            self._failed(_("The server cannot be reached. Check the address and network."),
                         str(exc))
        except ValueError as exc:  # requests' InvalidURL and friends
            self._failed(_("The server address is not valid"), str(exc))
        except Exception as exc:  # the worker must report, never die silently
            self._failed(_("Connecting failed"), f"{type(exc).__name__}: {exc}")
        else:
            self._finished(state)

    @on_ui_thread_later
    def _status(self, state: EnrolmentState) -> None:
        self._show(state)
        if state.status == "accepted":
            self.services.link.restart()  # heartbeat and content sync start now

    @on_ui_thread_later
    def _finished(self, state: EnrolmentState) -> None:
        self.busy = False
        self._show(state)

    @on_ui_thread_later
    def _failed(self, message: str, detail: str) -> None:
        self.busy = False
        self._say(message, detail, error=True)

    def _show(self, state: EnrolmentState, detail: str | None = None) -> None:
        """Say what an enrolment state means for staff."""
        url = state.server_url if detail is None else detail
        if state.status == "accepted":
            self._say(_("Connected: hall {hall}, type {profile}").format(
                hall=state.hall or "-", profile=state.profile or "-"), url, error=False)
        elif state.status == "pending":
            self._say(_("Submitted; waiting for IT staff to approve it in the admin console"),
                      url, error=False)
        elif state.status == "rejected":
            self._say(_("The server rejected this terminal"), state.message or url, error=True)
        elif state.status == "revoked":
            self._say(_("This terminal was revoked by the server"), state.message or url,
                      error=True)
        else:
            self._say(_("Enter the server address and the enrolment token"), "", error=False)

    def _say(self, message: str, detail: str, error: bool) -> None:
        self.message, self.detail, self.error = message, detail, error

    def on_leave(self, *args: Any) -> None:
        """Stop polling when staff leave the screen."""
        super().on_leave(*args)
        if self._stop is not None:
            self._stop.set()

    def reset(self) -> None:
        """Forget the token (the server address stays)."""
        self.token = ""

    def speech_text(self) -> str:
        """Title and the current message."""
        return sentences([self.title, self.message])
