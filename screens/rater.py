"""The window's rating pad at rest: window number and the staff on duty (公示).

It follows the hall's queue feed; when this window's staff press 办结 the pad wakes
with the five faces for that ticket. The link keeps running while the visitor rates,
so the next 办结 is never missed.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.clock import Clock
from kivy.properties import StringProperty

from kiosk.display_link import CONNECTED, DISCONNECTED, NOT_ENROLLED, DisplayLink
from screens.base import BaseScreen, _, sentences

log = logging.getLogger(__name__)
CHECK_SECONDS = 2.0  # how often to notice an enrolment made meanwhile


class RaterScreen(BaseScreen):
    """At rest: window, staff name and number, services; woken by 办结 at this window."""

    window_label = StringProperty("")
    staff_line = StringProperty("")
    photo = StringProperty("")  # the staff member's photo file, "" for none
    services_line = StringProperty("")
    status = StringProperty("")
    hint = StringProperty("")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.link: DisplayLink | None = None
        self.board: dict[str, Any] | None = None
        self.link_status = NOT_ENROLLED
        self._check: Any = None

    @property
    def window_number(self) -> int:
        """The window this pad belongs to (its config), 0 when not set."""
        return int(self.app.terminal_config.rater.window)

    def on_enter(self, *_args: Any) -> None:
        """Follow the hall's feed (kept while the visitor rates on the other screens)."""
        if self.link is None:
            self.link = DisplayLink(self.app, self.show_board, self.show_status,
                                    announce=False, on_event=self.on_feed_event)
            self.app.fbind("on_stop", lambda *_a: self.stop())
            self.link.start()
            self._check = Clock.schedule_interval(lambda _dt: self._recheck(), CHECK_SECONDS)
        self.refresh()

    def stop(self) -> None:
        """Stop following the feed (the app stops, or is no longer a rating pad)."""
        if self._check is not None:
            self._check.cancel()
            self._check = None
        if self.link is not None:
            self.link.stop()
            self.link = None
        self.board, self.link_status = None, NOT_ENROLLED

    def _recheck(self) -> None:
        if self.link is None:
            return
        if self.app.terminal_config.profile != "rater":
            log.info("no longer a rating pad: stop following the hall's feed")
            self.stop()
            return
        self.link.check()

    # From the link (UI thread) -------------------------------------------------------------
    def show_board(self, board: dict[str, Any]) -> None:
        """Keep the board for the rest screen."""
        self.board = board
        self.refresh()

    def show_status(self, status: str) -> None:
        """How the link to the hall's queue stands."""
        self.link_status = status
        self.refresh()

    def on_feed_event(self, event: tuple[int, str, dict[str, Any]]) -> None:
        """办结 at this window wakes the pad with the five faces for that ticket."""
        _event_id, kind, payload = event
        if kind != "finished" or int(payload.get("window") or 0) != self.window_number:
            return
        if self.window_number == 0 or self.app.terminal_config.profile != "rater":
            return
        log.info("ticket %s finished at window %s: asking for a rating",
                 payload.get("number"), self.window_number)
        self.app.idle.touch()
        self.app.nav.go("rate", ticket=payload.get("ticket"), number=payload.get("number", ""),
                        window=self.window_number, source="pad", back_to="start")

    # Showing -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Window, staff and status from the last board."""
        self.title = _("Service rating")
        number = self.window_number
        self.window_label = _("Window {number}").format(number=number) if number else ""
        window = next((w for w in (self.board or {}).get("windows", [])
                       if w.get("number") == number), None)
        names = {s["code"]: (s.get("name_en") if self.app.state.language == "en" else "")
                 or s["name"] for s in (self.board or {}).get("services", [])}
        self.staff_line = self.services_line = self.photo = ""
        if window is not None:
            if window.get("name"):
                self.window_label = _("Window {number} · {name}").format(
                    number=number, name=window["name"])
            name = window.get("staff_name") or window.get("staff") or ""
            if name and window.get("state") != "closed":
                self.staff_line = _("On duty: {name}").format(name=name) + (
                    _("  Staff no. {no}").format(no=window["staff_no"])
                    if window.get("staff_no") else "")
                self.photo = self.app.feedback.staff_photo(
                    window.get("staff_photo") or "", lambda _path: self.refresh())
            self.services_line = _("Services: {list}").format(list="、".join(
                names.get(code, code) for code in window.get("services", [])))
        self.hint, self.status = self._texts(window)

    def _texts(self, window: dict[str, Any] | None) -> tuple[str, str]:
        if not self.window_number:
            return _("This rating pad has no window yet. Please ask the administrator to "
                     "set it."), ""
        if self.link_status == NOT_ENROLLED:
            return _("This rating pad is not connected to the hall's queue. Please ask the "
                     "administrator to connect it to the server."), ""
        status = _("Connection lost, reconnecting…") if self.link_status == DISCONNECTED else ""
        if self.board is None and self.link_status != CONNECTED:
            return _("Connecting to the hall's queue…"), status
        if window is None:
            return _("Window {number} is not set up in the hall's queue.").format(
                number=self.window_number), status
        if window.get("state") == "closed":
            return _("This window is closed."), status
        if window.get("state") == "paused":
            return _("Service paused: {reason}").format(reason=window.get("pause_reason")
                                                       or "—"), status
        return _("When your service is finished, please rate it here."), status

    def speech_text(self) -> str:
        """Window, staff and the hint."""
        return sentences([self.window_label, self.staff_line, self.hint])
