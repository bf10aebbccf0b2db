"""Usage events (which screens and items visitors open), ratings and complaints into the
terminal's outbox.

The outbox commits to disk with fsync, so events go through a worker thread; the
heartbeat delivers them to the server exactly once, also after an outage. No
personal data: only the screen, the content item and the language; a question the
terminal could not answer is kept as text with personal numbers masked (never audio).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from protocol.enums import OutboxKind
from protocol.privacy import normalise_question

if TYPE_CHECKING:
    from content.answers.engine import AskResult
    from provisioning.outbox import Outbox

log = logging.getLogger(__name__)
QUEUE_LIMIT = 1000  # events waiting for the disk; beyond it new ones are dropped, not blocked
Event = tuple[str, dict[str, Any], Callable[[str], None] | None]


class UsageRecorder:
    """Puts events into the outbox on its own thread."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self._outbox: Outbox | None = None
        self._opening = threading.Lock()
        self._events: queue.Queue[Event | None] = queue.Queue(QUEUE_LIMIT)
        self._thread = threading.Thread(target=self._run, name="usage", daemon=True)
        self._thread.start()

    @property
    def outbox(self) -> Outbox:
        """The terminal's one outbox, opened on first use: by the first event or the first
        heartbeat, both on worker threads, so the start-up never imports SQLAlchemy. The
        heartbeat's sender delivers from this same instance (two instances creating the
        table on a fresh file at once collide)."""
        with self._opening:
            if self._outbox is None:
                from provisioning.outbox import Outbox

                self._outbox = Outbox(self.data_dir)
            return self._outbox

    def record(self, kind: str, payload: dict[str, Any]) -> None:
        """Queue an event (returns at once; called on the UI thread)."""
        try:
            self._events.put_nowait((kind, payload, None))
        except queue.Full:
            log.warning("usage events are piling up; dropping %s", kind)

    def unanswered(self, result: AskResult, language: str) -> bool:
        """Count a question the answer engine fell back on (需求研判: editors add FAQ entries
        and lexicon words for what is asked most). Only the text, normalised and with phone,
        ID, card numbers and e-mail masked, the language and the best score below the
        threshold. Nothing is recorded for a confident answer or an empty question; returns
        whether the question was recorded. Returns at once (called on the UI thread)."""
        question = normalise_question(result.question)
        if not result.fallback or not question:
            return False
        score = max((answer.score for answer in result.candidates), default=0.0)
        self.record(OutboxKind.USAGE_UNANSWERED, {"question": question, "language": language,
                                                  "score": round(score, 2)})
        return True

    def submit(self, kind: str, payload: dict[str, Any],
               stored: Callable[[str], None] | None = None) -> None:
        """Queue an item that must not be dropped (a rating, a complaint); stored(key) is
        called on the worker thread once it is on disk."""
        self._events.put((kind, payload, stored))

    def close(self) -> None:
        """Write what is queued and stop."""
        self._events.put(None)
        self._thread.join(5)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until queued events are in the outbox (tests, shutdown)."""
        done = threading.Event()
        self._events.put(("", {"done": done}, None))
        done.wait(timeout)

    def _run(self) -> None:
        while (event := self._events.get()) is not None:
            kind, payload, stored = event
            if not kind:
                payload["done"].set()
                continue
            from provisioning.outbox import OutboxError

            try:
                key = self.outbox.put(kind, payload)
            except (OutboxError, OSError) as error:
                log.error("outbox item %s not stored: %s", kind, error)
                continue
            if stored is not None:
                stored(key)
