"""The calling display's link to the hall board: live boards for the screen, each call spoken once.

A BoardFeed fetches the board and follows the hall's feed (reconnecting and catching up by
itself). Every feed event asks a refresher thread for a new board; events arriving together
are answered with one fetch. Calls (called, recalled, resumed) go to the Announcer as they
arrive; it drops an event id it was already given, so a catch-up after a reconnect never
repeats a call and, as the feed resumes after the last event seen, never loses one.

Nothing here blocks the UI thread: the feed and the refresher are worker threads, and boards
and status reach the screen through the Kivy clock. Nothing here stops the speaker either:
a call must never cut the one before it short.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

import requests
from kivy.clock import Clock

from devices.announcer import Announcer, Call
from kiosk.queue_client import BoardFeed, FeedStatus, QueueClient
from provisioning.client import ServerError

log = logging.getLogger(__name__)
CALL_KINDS = ("called", "recalled", "resumed")
REMEMBERED_CALL_TIMES = 100
DEBOUNCE = 0.05  # seconds to gather the events of one staff action before fetching the board
# What the screen is told about the link.
NOT_ENROLLED, CONNECTING, CONNECTED, DISCONNECTED = (
    "not_enrolled", "connecting", "connected", "disconnected")


def call_from_event(event_id: int, kind: str, payload: dict[str, Any],
                    called_at: dt.datetime) -> Call | None:
    """The Call a feed event announces, or None for events that call nobody."""
    if kind not in CALL_KINDS or "number" not in payload or "window" not in payload:
        return None
    return Call(event_id, str(payload["number"]), int(payload["window"]),
                recall=kind == "recalled", called_at=called_at)


class DisplayLink:
    """Follows the board of the enrolled terminal's hall while the display (or rating pad)
    screen is shown.

    on_board(board) and on_status(state) are called on the UI thread; state is one of
    not_enrolled, connecting, connected, disconnected.
    """

    def __init__(self, app: Any, on_board: Callable[[dict[str, Any]], None],
                 on_status: Callable[[str], None], *, announce: bool = True,
                 on_event: Callable[[tuple[int, str, dict[str, Any]]], None] | None = None):
        self.app, self.on_board, self.on_status = app, on_board, on_status
        self.announce = announce  # a rating pad follows the board but calls nobody
        self.on_event = on_event  # every feed event (id, kind, payload), on the UI thread
        self.announcer: Announcer | None = None  # kept while the client is: it remembers ids
        self.client: Any = None
        self._feed: BoardFeed | None = None
        self._stop = threading.Event()
        self._wanted = threading.Event()
        self._generation = 0
        self._call_times: dict[int, dt.datetime] = {}  # event id -> when the board says
        self._lock = threading.Lock()  # the feed and the refresher both read boards

    def start(self) -> None:
        """Follow the board (on the UI thread); tells not_enrolled when there is no client."""
        self.stop()
        client = getattr(getattr(self.app, "link", None), "client", None)
        if client is not self.client:
            # Another server, or the same one after enrolling again: its event ids are not
            # comparable with those already announced.
            self.client, self.announcer = client, None
            with self._lock:
                self._call_times.clear()
        if client is None:
            self.on_status(NOT_ENROLLED)
            return
        if self.announcer is None and self.announce:
            display = self.app.terminal_config.display
            self.announcer = Announcer(
                self.app.speaker, chime_path=self.app.terminal_config.data_dir / "chime.wav",
                repeat=display.announce_repeat, max_age=display.announce_max_age)
        self._generation += 1
        generation, queue = self._generation, QueueClient(client)
        self._stop, self._wanted = threading.Event(), threading.Event()
        self._feed = BoardFeed(
            queue, lambda board: self._board(generation, board),
            lambda event_id, kind, payload: self._event(generation, event_id, kind, payload),
            lambda status: self._status(generation, status))
        self.on_status(CONNECTING)
        self._feed.start()
        threading.Thread(target=self._refresh, args=(generation, queue, self._stop,
                                                     self._wanted),
                         name="display-board", daemon=True).start()

    def stop(self) -> None:
        """Stop following; callbacks still under way are dropped."""
        self._generation += 1
        if self._feed is not None:
            self._feed.stop()
            self._feed = None
        self._stop.set()
        self._wanted.set()  # wake the refresher so it sees the stop

    def check(self) -> None:
        """Start again when the terminal was enrolled, re-enrolled or un-enrolled meanwhile."""
        client = getattr(getattr(self.app, "link", None), "client", None)
        if client is not self.client:
            log.info("the terminal's server link changed; following the board again")
            self.start()

    # Feed thread -------------------------------------------------------------------------
    def _board(self, generation: int, board: dict[str, Any]) -> None:
        # A board fetched on (re)connecting lists the calls the feed is about to replay:
        # their real times let the announcer skip those too old to be worth speaking.
        with self._lock:
            for call in board.get("recent_calls", []):
                if call.get("at"):
                    self._call_times[int(call["event_id"])] = dt.datetime.fromisoformat(
                        call["at"])
            for event_id in sorted(self._call_times)[:-REMEMBERED_CALL_TIMES]:
                del self._call_times[event_id]
        self._to_ui(generation, self.on_board, board)

    def _event(self, generation: int, event_id: int, kind: str, payload: dict[str, Any]) -> None:
        if generation != self._generation:
            return
        if self.on_event is not None:
            self._to_ui(generation, self.on_event, (event_id, kind, payload))
        with self._lock:
            called_at = self._call_times.get(event_id) or dt.datetime.now(dt.UTC)
        call = call_from_event(event_id, kind, payload, called_at)
        if call is not None and self.announcer is not None:
            self.announcer.announce(call)
        self._wanted.set()

    def _status(self, generation: int, status: FeedStatus) -> None:
        self._to_ui(generation, self.on_status, CONNECTED if status.connected else DISCONNECTED)

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

    def _to_ui(self, generation: int, function: Callable[[Any], None], value: Any) -> None:
        def deliver(_dt: float) -> None:
            if generation == self._generation:
                function(value)

        Clock.schedule_once(deliver, 0)
