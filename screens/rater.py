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

from kiosk.hall_feed import CONNECTED, DISCONNECTED, NOT_ENROLLED, HallFeed
from protocol.enums import QueueEventKind, WindowState
from protocol.queue import Board, QueueEvent, WindowView
from screens.base import BaseScreen, _, sentences

log = logging.getLogger(__name__)
CHECK_SECONDS = 2.0  # how often to notice the terminal is no longer a rating pad


class RaterScreen(BaseScreen):
    """At rest: window, staff name and number, services; woken by 办结 at this window."""

    lifetime = "process"  # it follows the hall's feed from its first showing on

    window_label = StringProperty("")
    staff_line = StringProperty("")
    photo = StringProperty("")  # the staff member's photo file, "" for none
    services_line = StringProperty("")
    status = StringProperty("")
    hint = StringProperty("")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.link: HallFeed | None = None
        self.board: Board | None = None
        self.link_status = NOT_ENROLLED
        self._check: Any = None

    @property
    def window_number(self) -> int:
        """The window this pad belongs to (its config), 0 when not set."""
        return int(self.services.config.rater.window)

    def on_enter(self, *_args: Any) -> None:
        """Follow the hall's feed (kept while the visitor rates on the other screens)."""
        if self.link is None:
            self.link = self.services.hall_feed
            self.link.subscribe(self)
            self._check = Clock.schedule_interval(lambda _dt: self._recheck(), CHECK_SECONDS)
        self.refresh()

    def stop(self) -> None:
        """Stop following the feed (the app stops, or is no longer a rating pad)."""
        if self._check is not None:
            self._check.cancel()
            self._check = None
        if self.link is not None:
            self.link.unsubscribe(self)
            self.link = None
        self.board, self.link_status = None, NOT_ENROLLED

    def _recheck(self) -> None:
        if self.link is None:
            return
        if self.services.config.profile != "rater":
            log.info("no longer a rating pad: stop following the hall's feed")
            self.stop()

    # From the link (UI thread) -------------------------------------------------------------
    def show_board(self, board: Board) -> None:
        """Keep the board for the rest screen."""
        self.board = board
        self.refresh()

    def show_status(self, status: str) -> None:
        """How the link to the hall's queue stands."""
        self.link_status = status
        self.refresh()

    def on_feed_event(self, event: QueueEvent) -> None:
        """办结 at this window wakes the pad with the five faces for that ticket."""
        if event.kind != QueueEventKind.FINISHED or (event.window or 0) != self.window_number:
            return
        if self.window_number == 0 or self.services.config.profile != "rater":
            return
        log.info("ticket %s finished at window %s: asking for a rating",
                 event.number, self.window_number)
        self.shell.idle.touch()
        self.shell.nav.go("rate", ticket=event.ticket, number=event.number or "",
                          window=self.window_number, source="pad", back_to="start")

    # Showing -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Window, staff and status from the last board."""
        self.title = _("Service rating")
        number = self.window_number
        self.window_label = _("Window {number}").format(number=number) if number else ""
        board = self.board
        window = next((w for w in board.windows if w.number == number), None) if board else None
        english = self.shell.state.language == "en"
        names = {s.code: (s.name_en if english else "") or s.name
                 for s in (board.services if board else [])}
        self.staff_line = self.services_line = self.photo = ""
        if window is not None:
            if window.name:
                self.window_label = _("Window {number} · {name}").format(
                    number=number, name=window.name)
            name = window.staff_name or window.staff or ""
            if name and window.state != WindowState.CLOSED:
                self.staff_line = _("On duty: {name}").format(name=name) + (
                    _("  Staff no. {no}").format(no=window.staff_no) if window.staff_no else "")
                self.photo = self.services.feedback.staff_photo(
                    window.staff_photo, lambda _path: self.refresh())
            self.services_line = _("Services: {list}").format(list="、".join(
                names.get(code, code) for code in window.services))
        self.hint, self.status = self._texts(window)

    def _texts(self, window: WindowView | None) -> tuple[str, str]:
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
        if window.state == WindowState.CLOSED:
            return _("This window is closed."), status
        if window.state == WindowState.PAUSED:
            return _("Service paused: {reason}").format(reason=window.pause_reason or "—"), status
        return _("When your service is finished, please rate it here."), status

    def speech_text(self) -> str:
        """Window, staff and the hint."""
        return sentences([self.window_label, self.staff_line, self.hint])
