"""The terminal's one hall feed: live boards for the display and the rating pad, calls spoken once.

One feed per terminal, shared: screens subscribe while they show the board and unsubscribe
when they leave; it follows the hall while it has a listener and the server link a client,
and starts again by itself when that client changes (enrolled, enrolled again, revoked).

A BoardFeed fetches the board and follows the hall's feed (reconnecting and catching up by
itself). Every feed event asks a refresher thread for a new board; events arriving together
are answered with one fetch. Calls (called, recalled, resumed) go to the Announcer, on the
display profile only, as they arrive; it drops an event id it was already given, so a
catch-up after a reconnect never repeats a call and, as the feed resumes after the last event
seen, never loses one.

Nothing here blocks the UI thread: the feed and the refresher are worker threads, and boards
and status reach the screen through the Kivy clock. Nothing here stops the speaker either:
a call must never cut the one before it short.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

import requests
from kivy.clock import Clock

from devices.announcer import Announcer, Call
from devices.speech import Speaker
from kiosk.config import TerminalConfig
from kiosk.connectivity import Connectivity
from kiosk.queue_client import BoardFeed, FeedStatus, QueueClient
from protocol.enums import QueueEventKind
from protocol.queue import Board, QueueEvent
from provisioning.client import ServerError, TerminalClient

log = logging.getLogger(__name__)
T = TypeVar("T")
DEBOUNCE = 0.05  # seconds to gather the events of one staff action before fetching the board
# What the screen is told about the link.
NOT_ENROLLED, CONNECTING, CONNECTED, DISCONNECTED = (
    "not_enrolled", "connecting", "connected", "disconnected")


def call_from_event(event: QueueEvent) -> Call | None:
    """The Call a feed event announces, or None for events that call nobody."""
    if not event.is_call or event.number is None or event.window is None:
        return None
    return Call(event.id, event.number, event.window,
                recall=event.kind == QueueEventKind.RECALLED, called_at=event.at)


class HallListener(Protocol):
    """A screen following the hall: each method is called on the UI thread."""

    def show_board(self, board: Board) -> None:
        """A fresh board."""

    def show_status(self, status: str) -> None:
        """not_enrolled, connecting, connected or disconnected."""

    def on_feed_event(self, event: QueueEvent) -> None:
        """Every feed event, in order."""


class HallFeed:
    """Follows the board of the enrolled terminal's hall for whoever listens."""

    def __init__(self, link: Connectivity, speaker: Speaker,
                 config: Callable[[], TerminalConfig]):
        self.link, self.speaker, self.config = link, speaker, config
        self.announcer: Announcer | None = None  # kept while the client is: it remembers ids
        self.client: TerminalClient | None = None
        self.board: Board | None = None
        self.status = NOT_ENROLLED
        self._listeners: list[HallListener] = []
        self._feed: BoardFeed | None = None
        self._stop = threading.Event()
        self._wanted = threading.Event()
        self._generation = 0
        link.subscribe(self._client_changed)

    @property
    def following(self) -> bool:
        """Whether the feed runs now."""
        return self._feed is not None

    def subscribe(self, listener: HallListener) -> None:
        """Tell listener about boards, events and the status; start following if needed."""
        if listener not in self._listeners:
            self._listeners.append(listener)
        listener.show_status(self.status)
        if self.board is not None:
            listener.show_board(self.board)
        if self._feed is None:
            self._start()

    def unsubscribe(self, listener: HallListener) -> None:
        """Stop telling listener; the feed stops when nobody listens any more."""
        if listener in self._listeners:
            self._listeners.remove(listener)
        if not self._listeners:
            self.stop()

    def _client_changed(self, _client: TerminalClient | None) -> None:
        if self._listeners:
            log.info("the terminal's server link changed; following the board again")
            self._start()

    def _start(self) -> None:
        """Follow the board (on the UI thread); tells not_enrolled when there is no client."""
        self.stop()
        client = self.link.client
        if client is not self.client:
            # Another server, or the same one after enrolling again: its event ids are not
            # comparable with those already announced.
            self.client, self.announcer = client, None
        if client is None:
            self._set_status(NOT_ENROLLED)
            return
        self._generation += 1
        generation, queue = self._generation, QueueClient(client)
        self._stop, self._wanted = threading.Event(), threading.Event()
        self._feed = BoardFeed(
            queue, lambda board: self._board(generation, board),
            lambda event: self._event(generation, event),
            lambda status: self._status(generation, status))
        self._set_status(CONNECTING)
        self._feed.start()
        threading.Thread(target=self._refresh, args=(generation, queue, self._stop,
                                                     self._wanted),
                         name="hall-board", daemon=True).start()

    def stop(self) -> None:
        """Stop following; callbacks still under way are dropped."""
        self._generation += 1
        self.board = None  # out of date from now on
        if self._feed is not None:
            self._feed.stop()
            self._feed = None
        self._stop.set()
        self._wanted.set()  # wake the refresher so it sees the stop

    # UI thread ---------------------------------------------------------------------------
    def _set_status(self, status: str) -> None:
        self.status = status
        if status in (CONNECTING, NOT_ENROLLED):
            self.board = None
        for listener in list(self._listeners):
            listener.show_status(status)

    def _show_board(self, board: Board) -> None:
        self.board = board
        for listener in list(self._listeners):
            listener.show_board(board)

    def _tell_event(self, event: QueueEvent) -> None:
        for listener in list(self._listeners):
            listener.on_feed_event(event)

    def _announcer(self) -> Announcer | None:
        """The display profile's announcer (created for the client of the moment)."""
        config = self.config()
        if config.profile != "display":
            return None
        if self.announcer is None:
            display = config.display
            self.announcer = Announcer(
                self.speaker, chime_path=config.data_dir / "chime.wav",
                repeat=display.announce_repeat, max_age=display.announce_max_age)
        return self.announcer

    # Feed thread -------------------------------------------------------------------------
    def _board(self, generation: int, board: Board) -> None:
        self._to_ui(generation, self._show_board, board)

    def _event(self, generation: int, event: QueueEvent) -> None:
        if generation != self._generation:
            return
        self._to_ui(generation, self._tell_event, event)
        call = call_from_event(event)
        if call is not None:
            self._announce(call)  # here: the speaker queues it, never the UI thread
        self._wanted.set()

    def _announce(self, call: Call) -> None:
        announcer = self._announcer()
        if announcer is not None:
            announcer.announce(call)

    def _status(self, generation: int, status: FeedStatus) -> None:
        self._to_ui(generation, self._set_status, CONNECTED if status.connected else DISCONNECTED)

    # Refresher thread ----------------------------------------------------------------------
    def _refresh(self, generation: int, queue: QueueClient, stop: threading.Event,
                 wanted: threading.Event) -> None:
        while True:
            wanted.wait()
            if stop.wait(DEBOUNCE):
                return
            wanted.clear()
            try:
                board = queue.board()
            except (ServerError, requests.RequestException, ValueError) as error:
                log.warning("could not refresh the board: %s", error)  # the feed reconnects
                continue
            self._board(generation, board)

    def _to_ui(self, generation: int, function: Callable[[T], None], value: T) -> None:
        def deliver(_dt: float) -> None:
            if generation == self._generation:
                function(value)

        Clock.schedule_once(deliver, 0)
