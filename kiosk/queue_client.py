"""The terminal's side of the queue: services, taking a ticket, the board and its live feed.

No Kivy here: everything runs on worker threads and reports through callbacks,
which the screens hand to the UI thread. A ticket is only ever shown when the
server issued it; a retry after a lost reply sends the same idempotency key, so
a double tap or a flaky network never makes two tickets.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from pydantic import ValidationError

from protocol.enums import RENAMED_KINDS
from protocol.queue import Board, QueueEvent, ServicesReply, TicketIssued
from provisioning.client import ServerError, ServerRefused, ServerUnavailable, TerminalClient

log = logging.getLogger(__name__)
STREAM_TIMEOUT = (5.0, 45.0)  # connect, and read: longer than the server's 15 s keepalive
RECONNECT_DELAYS = (0.5, 1, 2, 5, 10)
REMEMBERED_CALL_TIMES = 100


class TicketRefused(Exception):
    """The server refused the ticket; code is the server's (unknown_service, daily_cap ...)."""

    def __init__(self, code: str, status: int):
        super().__init__(f"ticket refused: {code} (HTTP {status})")
        self.code, self.status = code, status


def new_request_key() -> str:
    """An idempotency key for one visitor's request (kept across retries of it)."""
    return uuid.uuid4().hex


class QueueClient:
    """Queue requests of an enrolled terminal, signed by its TerminalClient."""

    def __init__(self, client: TerminalClient):
        self.client = client

    def services(self) -> ServicesReply:
        """The hall and its services (open, opens_at, waiting, wait_minutes)."""
        return self.client.typed_request("GET", "/api/v1/queue/services", ServicesReply)

    def take_ticket(self, service: str, key: str, priority: str = "normal",
                    appointment_code: str | None = None, attempts: int = 3) -> TicketIssued:
        """Issue a ticket; retried with the same key when the reply was lost."""
        body = {"service": service, "priority": priority, "idempotency_key": key,
                "appointment_code": appointment_code}
        failure: ServerError | None = None
        for _attempt in range(attempts):
            try:
                return self.client.typed_request("POST", "/api/v1/queue/tickets", TicketIssued,
                                                 json=body)
            except ServerRefused as refused:
                raise _ticket_refused(refused) from refused
            except ServerUnavailable as error:
                failure = error
        assert failure is not None
        raise failure

    def board(self) -> Board:
        """The hall board (windows, recent calls, waiting counts, last_event_id)."""
        return self.client.typed_request("GET", "/api/v1/queue/board", Board)

    def events(self, after: int, call_times: Mapping[int, dt.datetime] | None = None
               ) -> Iterator[QueueEvent]:
        """The feed after `after` until the connection drops; an event without its time
        takes the one call_times (event id -> time, from a board) gives, else now."""
        response = self.client.request("GET", f"/api/v1/queue/events?after={after}",
                                       stream=True, timeout=STREAM_TIMEOUT)
        try:
            for event_id, name, data in parse_events(response.iter_content(chunk_size=None)):
                event = feed_event(event_id, name, data, (call_times or {}).get(event_id))
                if event is not None:
                    yield event
        finally:
            response.close()


_reported_events: set[str] = set()


def feed_event(event_id: int, name: str, data: dict[str, Any],
               at: dt.datetime | None = None) -> QueueEvent | None:
    """A feed event as the protocol names it, or None (logged once per kind) when it is not
    one. The one place old present-tense names (finish, hold ...) become QueueEventKind;
    an event without its time (an older server) gets at, else now."""
    kind = RENAMED_KINDS.get(name, name)
    fields = {**data, "id": event_id, "kind": kind}
    if not fields.get("at"):
        fields["at"] = at or dt.datetime.now(dt.UTC)
    try:
        return QueueEvent.model_validate(fields)
    except ValidationError as error:
        if name not in _reported_events:
            _reported_events.add(name)
            log.error("feed event %d (%s) is not a queue event, skipped (not logged again "
                      "for %s): %s", event_id, name, name, error.errors(include_url=False)[0])
        return None


def _ticket_refused(refused: ServerRefused) -> TicketRefused:
    # The server's body is {"error": code, ...}; a validation error reads "invalid request: ...".
    return TicketRefused(refused.message.split(":")[0].strip(), refused.status)


def parse_events(chunks: Iterator[bytes]) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Server-sent events from a byte stream: (id, event name, JSON data)."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            fields: dict[str, str] = {}
            for line in block.decode("utf-8").splitlines():
                if line.startswith(":"):
                    continue  # a keepalive comment
                name, _, value = line.partition(":")
                fields[name] = fields.get(name, "") + value.removeprefix(" ")
            if "id" in fields and "data" in fields:
                yield int(fields["id"]), fields.get("event", "message"), json.loads(fields["data"])


@dataclass
class FeedStatus:
    """Whether the live feed is connected, and the last event seen."""

    connected: bool = False
    last_event_id: int = 0
    reconnects: int = 0


def reconnect_delay(failures: int, retry_after: float | None = None) -> float:
    """Seconds before reconnecting after failures failed tries: growing, at least what the
    server asked (Retry-After), spread by up to half again so refused displays do not all
    come back in the same second."""
    delay = max(RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)], retry_after or 0)
    return delay * random.uniform(1.0, 1.5)


class BoardFeed:
    """Keeps a board up to date: fetch it, then follow the feed; on a drop, catch up.

    on_board(board) gets each fresh board, on_event(event) each change in order
    (including those caught up after a reconnect), on_status(FeedStatus) each connect
    and drop. All are called on the feed's thread. An event that does not carry its
    time takes the one its board's recent calls give (a replayed call keeps its age).
    """

    def __init__(self, queue: QueueClient, on_board: Callable[[Board], None],
                 on_event: Callable[[QueueEvent], None],
                 on_status: Callable[[FeedStatus], None] | None = None):
        self.queue, self.on_board, self.on_event = queue, on_board, on_event
        self.on_status = on_status or (lambda _status: None)
        self.status = FeedStatus()
        self.call_times: dict[int, dt.datetime] = {}  # event id -> when the board says
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="queue-feed", daemon=True)

    def start(self) -> None:
        """Start following."""
        self._thread.start()

    def stop(self) -> None:
        """Stop following (the open connection is closed by its read timeout at worst)."""
        self._stop.set()

    def _run(self) -> None:
        failures = 0
        after: int | None = None
        while not self._stop.is_set():
            try:
                board = self.queue.board()
                if after is None:
                    after = board.last_event_id
                self._remember_calls(board)
                self.on_board(board)
                self._set_connected(True, after)
                failures = 0
                for event in self.queue.events(after, self.call_times):
                    if self._stop.is_set():
                        return
                    after = event.id
                    self.status.last_event_id = event.id
                    self.on_event(event)
            except (ServerError, requests.RequestException, ValueError) as error:
                log.warning("queue feed interrupted: %s", error)
                asked = error.retry_after if isinstance(error, ServerUnavailable) else None
            else:
                asked = None
            if self._stop.is_set():
                return
            self._set_connected(False, after or 0)
            self.status.reconnects += 1
            self._stop.wait(reconnect_delay(failures, asked))
            failures += 1

    def _remember_calls(self, board: Board) -> None:
        # A board fetched on (re)connecting lists the calls the feed is about to replay.
        for call in board.recent_calls:
            if call.at is not None:
                self.call_times[call.event_id] = call.at
        for event_id in sorted(self.call_times)[:-REMEMBERED_CALL_TIMES]:
            del self.call_times[event_id]

    def _set_connected(self, connected: bool, after: int) -> None:
        if connected != self.status.connected:
            log.info("queue feed %s (after event %d)", "connected" if connected else "lost",
                     after)
        self.status.connected, self.status.last_event_id = connected, after
        self.on_status(self.status)
