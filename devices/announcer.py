"""Calling announcements for the hall display: a chime, then "请A001号到3号窗口办理".

Every part of every call goes through the speaker's one queue, so calls are heard in the order
they were handed over, never on top of each other, and none is dropped for being busy.
``announce()`` only enqueues, so the display's UI thread may call it.

Two kinds of call are not spoken:

- an event id already announced: a display that reconnects and catches up may be handed the
  same event again (a 重呼 is a new event with its own id, so it is spoken);
- a call older than ``max_age`` seconds when handed over (default 120): after a long outage
  the backlog would otherwise keep the hall listening to numbers whose visitors have long gone
  to the window or been passed over, and delay the calls that matter now. The screen can
  still show them; here they are counted in ``skipped_stale`` and logged. The age is taken
  against this machine's clock, so displays need a synchronised clock (NTP);
  ``max_age=None`` speaks every call however old.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from devices.chime import ensure_chime
from devices.speech import Speaker
from devices.status import DeviceError

logger = logging.getLogger(__name__)

MAX_AGE = 120.0  # seconds; older calls are not spoken
REMEMBERED_EVENTS = 1000  # event ids kept to spot a repeat; catch-up repeats are recent
# The spoken sentence per language; the display shows its own text, this is only heard.
ANNOUNCEMENTS = {
    "zh": "请{number}号到{window}号窗口办理",
    "en": "Number {number}, please go to window {window}",
}
RECALL_PREFIXES = {"zh": "重呼，", "en": "Recall: "}


@dataclass(frozen=True)
class Call:
    """One 叫号 or 重呼 event as the calling display receives it."""

    event_id: int
    number: str  # the ticket number, e.g. "A001"
    window_number: int
    recall: bool
    called_at: datetime  # timezone-aware, as the server stamps it (UTC)

    def __post_init__(self) -> None:
        # A naive time is ambiguous: server UTC read as Beijing time would make every call
        # eight hours old, and so silently stale.
        if self.called_at.utcoffset() is None:
            raise ValueError(f"call {self.event_id}: called_at must be timezone-aware")


def call_text(call: Call, language: str = "zh") -> str:
    """The sentence announcing call: "请A001号到3号窗口办理", a recall starts with 重呼."""
    _check_language(language)
    text = ANNOUNCEMENTS[language].format(number=call.number, window=call.window_number)
    return RECALL_PREFIXES[language] + text if call.recall else text


def _check_language(language: str) -> None:
    if language not in ANNOUNCEMENTS:
        expected = " or ".join(ANNOUNCEMENTS)
        raise ValueError(f"no announcement for language {language!r}; expected {expected}")


class Announcer:
    """Announces each call once through a speaker: the chime, then its text in each language."""

    def __init__(
        self, speaker: Speaker, chime_path: Path | None = None, repeat: int = 1,
        max_age: float | None = MAX_AGE, languages: Sequence[str] = ("zh",),
    ) -> None:
        if repeat < 1:
            raise ValueError(f"repeat must be at least 1, not {repeat}")
        for language in languages:
            _check_language(language)
        self.announced = self.skipped_stale = self.repeated_events = 0
        self._speaker, self._repeat, self._max_age = speaker, repeat, max_age
        self._languages = tuple(languages)
        self._seen: dict[int, None] = {}  # insertion-ordered, so the oldest goes first
        self._lock = threading.Lock()  # keeps check-and-enqueue whole if workers call too
        try:
            self.chime: Path | None = ensure_chime(chime_path)
        except DeviceError as error:  # the words matter more than the chime: go on without
            logger.error("announcing calls without a chime: %s", error)
            self.chime = None

    def announce(self, call: Call) -> bool:
        """Queue the chime and the call's text; returns at once, False if not to be spoken."""
        with self._lock:
            if call.event_id in self._seen:
                self.repeated_events += 1
                logger.debug("call event %d was handed over before; not repeating it",
                             call.event_id)
                return False
            self._seen[call.event_id] = None
            if len(self._seen) > REMEMBERED_EVENTS:
                del self._seen[next(iter(self._seen))]
            age = (datetime.now(UTC) - call.called_at).total_seconds()
            if self._max_age is not None and age > self._max_age:
                self.skipped_stale += 1
                logger.info("not announcing %s to window %d (event %d): called %.0f s ago",
                            call.number, call.window_number, call.event_id, age)
                return False
            if self.chime is not None:
                self._speaker.play(self.chime)
            for _ in range(self._repeat):
                for language in self._languages:
                    self._speaker.say(call_text(call, language), language)
            self.announced += 1
            return True
