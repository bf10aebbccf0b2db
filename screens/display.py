"""The calling display: every window's current number, recent calls, waiting counts, a notice.

A hall TV in landscape (usable in portrait): read from across the hall, so the sizes follow
the screen, not the visitor's text-size setting. The board comes from the terminal's hall
feed (kiosk.hall_feed), which also speaks each call; this screen only shows.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.stencilview import StencilView

from kiosk.hall_feed import CONNECTED, CONNECTING, DISCONNECTED, NOT_ENROLLED, HallFeed
from kiosk.labels import covering_font
from kiosk.queue_link import CHINA_TIME
from protocol.enums import WindowState
from protocol.queue import Board, QueueEvent, RecentCall, ServiceView, WindowView
from screens.base import BaseScreen, _

HIGHLIGHT_SECONDS = 10.0  # a new call's window stands out this long
FLASH_SECONDS = 5.0  # and blinks for the first part of it
TICK = 0.5  # seconds between blinks and clock updates
TICKER_SPEED = 90  # notice line pixels per second at 1080 pixels of screen height
RECENT_ROWS = 3  # few rows, each readable from the back of the hall; the banner has the newest
NOTICE_GAP = "　　　　"
FIT_MARGIN = 0.94  # Kivy shortens a line a little before its measured width reaches the edge
# Tile colours (palette TILE_COLORS, each tested with white text): blue, amber-brown, grey.
STATE_TILES = {"open": 0, "paused": 2, "closed": 6}


def window_columns(count: int, landscape: bool) -> int:
    """Columns of the window grid: tiles stay wide enough for a four-character number."""
    if landscape:
        return 1 if count <= 1 else 2 if count <= 4 else 3 if count <= 9 else 4
    return 1 if count <= 1 else 2 if count <= 8 else 3


def notice_text(notice: Any, language: str) -> str:
    """A hall notice as one line: plain text, or a notice's title and text."""
    if isinstance(notice, str):
        return notice.strip()
    if not isinstance(notice, dict):
        return ""
    english = language == "en"
    title = (english and notice.get("title_en")) or notice.get("title") or ""
    text = (english and notice.get("text_en")) or notice.get("text") or ""
    return "：".join(part.strip() for part in (title, text) if part and part.strip())


def call_sentence(call: RecentCall) -> str:
    """The call banner: the number and the window in one sentence, as the hall says it."""
    sentence = _("Number {number}, please go to window {window}").format(
        number=call.number, window=call.window)
    return _("Recall: {sentence}").format(sentence=sentence) if call.recall else sentence


class FittedText(Label):
    """One line of text at base_font, made smaller (down to smallest of it) to fit its width.

    Beyond that the line is shortened with "…": a long pause reason must not push the
    window's number off its tile.
    """

    base_font = NumericProperty(20)
    smallest = NumericProperty(0.6)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.fbind("text", self._fit)
        self.fbind("width", self._fit)
        self.fbind("base_font", self._fit)

    def _fit(self, *_args: Any) -> None:
        if not self.text or self.width <= 1 or self.base_font <= 0:
            self.font_size = max(self.base_font, 1)
            return
        measure = CoreLabel(text=self.text, font_size=self.base_font, bold=self.bold,
                            font_name=covering_font(self.font_name, self.text))
        width = measure.get_extents(self.text)[0]
        room = (self.width - self.padding[0] - self.padding[2]) * FIT_MARGIN
        ratio = min(1.0, room / width) if width else 1.0
        self.font_size = self.base_font * max(self.smallest, ratio)


class WindowTile(BoxLayout):
    """One window: its number and name, the ticket at it (or why it is not serving)."""

    label = StringProperty("")
    window_name = StringProperty("")
    number = StringProperty("")
    detail = StringProperty("")
    is_ticket = BooleanProperty(True)  # a ticket number: larger than a status in words
    background = ListProperty([0, 0, 0, 1])
    highlight = BooleanProperty(False)
    flash_until = NumericProperty(0)
    highlight_until = NumericProperty(0)


class IdleWindow(BoxLayout):
    """A window that is not serving (paused or closed): one small dimmed line."""

    number = NumericProperty(0)
    text = StringProperty("")
    background = ListProperty([0, 0, 0, 1])


class CallRow(BoxLayout):
    """One recent call: number, window, 重呼 when it was a recall."""

    number = StringProperty("")
    window = StringProperty("")
    recall = StringProperty("")
    newest = BooleanProperty(False)


class ServiceRow(BoxLayout):
    """One service: its name, and how many wait for how long (or that it is closed)."""

    name = StringProperty("")
    info = StringProperty("")


class NoticeTicker(StencilView):
    """Holds a line of text (its child) that scrolls from right to left, over and over."""

    offset = NumericProperty(0)
    speed = NumericProperty(TICKER_SPEED)

    def advance(self, seconds: float, text_width: float) -> None:
        """Move the text on; start again once it has left on the left."""
        self.offset += self.speed * seconds
        if self.offset > self.width + text_width:
            self.offset = 0


class DisplayScreen(BaseScreen):
    """The hall's calling display (the `display` profile's only screen)."""

    lifetime = "process"  # it follows the hall's feed and the window's orientation

    hall = StringProperty("")
    clock = StringProperty("")
    banner = StringProperty("")  # the newest call in one sentence: 请 A001 号到 1 号窗口
    message = StringProperty("")  # instead of the board: not enrolled, connecting
    connection = StringProperty("")  # a small line while the feed is down
    notice = StringProperty("")
    columns = NumericProperty(2)
    unit = NumericProperty(1.0)  # sizes are multiples of this: 1.0 on a 1080-line screen

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.board: Board | None = None
        self.link: HallFeed | None = None
        self.status = CONNECTING
        self._newest_call = 0
        self._banner_flash_until = 0.0
        self._tiles: dict[int, WindowTile] = {}  # the windows serving: large tiles
        self._idle: dict[int, IdleWindow] = {}  # paused and closed windows: a small line each
        self._ticks: list[Any] = []
        self.bind(size=self._sized)

    # Lifecycle ---------------------------------------------------------------------------
    def on_enter(self, *_args: Any) -> None:
        """Follow the board and keep the clock, blinking and notice line going."""
        if self.link is None:
            self.link = self.services.hall_feed
            self.shell.state.fbind("orientation", lambda *_a: self._sized())
        self._stop()
        self.link.subscribe(self)
        self.ids.ticker.offset = self.ids.ticker.width  # the notice starts readable, at left
        self._ticks = [Clock.schedule_interval(self._tick, TICK),
                       Clock.schedule_interval(self._scroll, 1 / 30)]
        self._tick(0)

    def on_leave(self, *_args: Any) -> None:
        """Stop following while another screen is shown; its board is out of date by then."""
        super().on_leave()
        self._stop()
        self.status = CONNECTING
        self._forget_board()

    def _stop(self) -> None:
        for event in self._ticks:
            event.cancel()
        self._ticks = []
        if self.link is not None:
            self.link.unsubscribe(self)

    def refresh(self) -> None:
        """Show the last board again (language change)."""
        self.title = _("Calling display")
        self._show_status()
        if self.board is not None:
            self._show(self.board, highlight=False)
        else:
            self._show_notice([])

    def speech_text(self) -> str:
        """Nothing to read on entering: the display speaks calls only."""
        return ""

    # From the link (UI thread) -------------------------------------------------------------
    def show_status(self, status: str) -> None:
        """Show how the link to the hall's queue stands."""
        self.status = status
        if status in (CONNECTING, NOT_ENROLLED):
            self._forget_board()  # a board of another server (or of none) says nothing now
        self._show_status()

    def on_feed_event(self, event: QueueEvent) -> None:
        """Every feed event: the board that follows it is what the display shows."""

    def _show_status(self) -> None:
        status = self.status
        self.connection = _("Connection lost, reconnecting…") if status == DISCONNECTED else ""
        if status == NOT_ENROLLED:
            self.message = _("This display is not connected to the hall's queue. Please ask "
                             "the administrator to connect it to the server.")
        elif self.board is None and status != CONNECTED:
            self.message = _("Connecting to the hall's queue…")

    def show_board(self, board: Board) -> None:
        """Show a fresh board, unless a newer one is shown already."""
        if self.board is not None and board.last_event_id < self.board.last_event_id:
            return
        first = self.board is None
        self.board = board
        self._show(board, highlight=not first)

    def _forget_board(self) -> None:
        self.board, self._newest_call, self._tiles, self.hall = None, 0, {}, ""
        self._idle, self.banner = {}, ""
        for container in ("windows", "idle", "calls", "services"):
            self.ids[container].clear_widgets()

    # Drawing -------------------------------------------------------------------------------
    def _show(self, board: Board, highlight: bool) -> None:
        self.hall = board.hall.name
        self.message = "" if board.windows else _("No windows are set up in this hall.")
        self._show_windows(board.windows)
        self._show_calls(board.recent_calls, highlight)
        self._show_services(board.services)
        self._show_notice(board.notices)

    def _show_windows(self, windows: list[WindowView]) -> None:
        serving = [w for w in windows if w.state not in (WindowState.PAUSED, WindowState.CLOSED)]
        idle = [w for w in windows if w not in serving]
        if sorted(self._tiles) != [w.number for w in serving]:
            self.ids.windows.clear_widgets()
            self._tiles = {w.number: WindowTile() for w in serving}
            for number in sorted(self._tiles):
                self.ids.windows.add_widget(self._tiles[number])
            self._sized()
        if sorted(self._idle) != [w.number for w in idle]:
            self.ids.idle.clear_widgets()
            self._idle = {w.number: IdleWindow(number=w.number) for w in idle}
            for number in sorted(self._idle):
                self.ids.idle.add_widget(self._idle[number])
        english = self.shell.state.language == "en"
        for window in serving:
            tile, current = self._tiles[window.number], window.current
            tile.label = _("Window {number}").format(number=window.number)
            tile.window_name = window.name
            tile.background = self.shell.theme.tile_color(STATE_TILES["open"])
            if current is not None:
                tile.number, tile.is_ticket = current.number, True
                tile.detail = (english and current.service_name_en) or current.service_name
            else:
                tile.number, tile.is_ticket, tile.detail = "—", True, ""
        for window in idle:
            line = self._idle[window.number]
            paused = window.state == WindowState.PAUSED
            state = _("Paused") if paused else _("Not open")
            parts = [_("Window {number}").format(number=window.number), state]
            if paused and window.pause_reason:
                parts.append(window.pause_reason)
            line.text = " · ".join(parts)
            line.background = self.shell.theme.tile_color(STATE_TILES[window.state])

    def _show_calls(self, calls: list[RecentCall], highlight: bool) -> None:
        rows = self.ids.calls
        while len(rows.children) < RECENT_ROWS:
            rows.add_widget(Factory.CallRow())
        newest = calls[0].event_id if calls else 0
        self.banner = call_sentence(calls[0]) if calls else ""
        if highlight and newest > self._newest_call:
            self._highlight(calls[0].window)
        self._newest_call = max(self._newest_call, newest)
        for index, row in enumerate(reversed(rows.children)):
            call = calls[index] if index < len(calls) else None
            row.number = call.number if call else ""
            row.window = _("Window {number}").format(number=call.window) if call else ""
            row.recall = _("Recall") if call and call.recall else ""
            row.newest = index == 0 and call is not None

    def _highlight(self, window_number: int) -> None:
        """Make the newest call's window (and the call banner) stand out, and only that one."""
        now = time.monotonic()
        self._banner_flash_until = now + FLASH_SECONDS
        for number, tile in self._tiles.items():
            called = number == window_number
            tile.flash_until = now + FLASH_SECONDS if called else 0
            tile.highlight_until = now + HIGHLIGHT_SECONDS if called else 0
            tile.highlight = called

    def _show_services(self, services: list[ServiceView]) -> None:
        english = self.shell.state.language == "en"
        box = self.ids.services
        box.size_hint_y = max(len(services), 1)  # rows as tall as the call rows above
        if len(box.children) != len(services):
            box.clear_widgets()
            for _service in services:
                box.add_widget(ServiceRow())
        for row, service in zip(reversed(box.children), services, strict=True):
            row.name = (english and service.name_en) or service.name
            row.info = _("{count} waiting · ~{minutes} min").format(
                count=service.waiting, minutes=service.wait_minutes) if service.open \
                else _("Closed now")

    def _show_notice(self, notices: list[dict[str, Any] | str]) -> None:
        texts = [text for text in (notice_text(n, self.shell.state.language) for n in notices)
                 if text]
        default = _("Please listen for your number. A missed number is void; please take a "
                    "new one.")
        self.notice = NOTICE_GAP.join(texts or [default])

    def _sized(self, *_args: Any) -> None:
        self.unit = max(0.4, min(self.width, self.height) / 1080)
        self.columns = window_columns(len(self._tiles), self.shell.state.orientation == "landscape")

    # Clock ---------------------------------------------------------------------------------
    def _tick(self, _dt: float) -> None:
        self.clock = dt.datetime.now(CHINA_TIME).strftime("%H:%M")
        now = time.monotonic()
        banner = self.ids.banner
        banner.opacity = (0.55 if banner.opacity == 1 else 1) if now < self._banner_flash_until \
            else 1
        for tile in self._tiles.values():
            if now < tile.flash_until:
                tile.highlight = not tile.highlight
            else:
                tile.highlight = now < tile.highlight_until

    def _scroll(self, seconds: float) -> None:
        ticker, text_width = self.ids.ticker, self.ids.ticker_text.texture_size[0]
        if text_width <= ticker.width:  # the whole notice fits: it stands still, centred
            ticker.offset = (ticker.width + text_width) / 2
            return
        ticker.advance(seconds * self.unit, text_width)
