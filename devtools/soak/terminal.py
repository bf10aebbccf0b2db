"""One soak terminal: the real terminal core without its Kivy window, driven by commands.

``python -m devtools.soak.terminal CONFIG`` builds the terminal's services as the app does
(kiosk.terminal.create_app without the window: content, the configured printer and speaker,
TerminalServices with its server link, heartbeat, outbox, content sync, queue link, hall feed
and feedback link), runs the Kivy clock without a window, and acts as its profile's visitor
would:

- dispenser: ``{"op": "ticket", "service": ..., "key": ...}`` on stdin takes a ticket through
  QueueLink (retried with the same key while the server cannot be reached, as a visitor
  pressing 确认取号 again would);
- query: ``{"op": "complain", "category": ..., "phone": ...}`` leaves a complaint;
- display: follows the hall feed; the announcer speaks each call into WAV files;
- rater: follows the hall feed; each 办结 at its window is rated by the visitor (a level
  derived from the ticket number, some visitors do not rate).

Everything the terminal did is written to ``soak-journal.jsonl`` in its data folder, the
utterances spoken with it. ``{"op": "quit"}`` (or SIGTERM) stops it cleanly.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any, cast

log = logging.getLogger("devtools.soak.terminal")
RETRY_SECONDS = 2.0  # a visitor told the terminal is offline presses again after this
JOURNAL = "soak-journal.jsonl"


def visitor_rating(number: str) -> int:
    """The level the visitor holding ticket `number` gives (0: leaves without rating)."""
    draw = zlib.crc32(number.encode()) % 100
    if draw < 15:
        return 0
    return 5 if draw < 70 else 4 if draw < 88 else 3 if draw < 95 else 2 if draw < 98 else 1


class Journal:
    """What this terminal did, one JSON object a line, written at once."""

    def __init__(self, path: Path):
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, kind: str, **fields: Any) -> None:
        """Append one record with the wall-clock time."""
        line = json.dumps({"kind": kind, "t": time.time(), **fields}, ensure_ascii=False)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._file.close()


class HeadlessShell:
    """The parts of the running app (kiosk.shell.Shell) the services use, without screens."""

    def __init__(self, services: Any, journal: Journal):
        self.services, self.journal = services, journal
        self.stopping = threading.Event()

    def offer_library(self, library: Any) -> None:
        """A newer content version arrived: use it (no visitor is in a session here)."""
        self.services.library = library
        self.services.state.content_version = library.version  # as the app does
        self.journal.write("content", version=library.version)

    def apply_config(self, config: Any) -> None:
        """Take settings pushed by the server."""
        self.services.config = config
        self.journal.write("config")

    def show_message(self, text: str, seconds: int) -> None:
        """Staff's message: journalled."""
        self.journal.write("message", text=text)

    def speak(self, text: str) -> None:
        """Speak text in Chinese."""
        self.services.speaker.say(text, "zh")

    def exit_app(self) -> None:
        """Leave the loop."""
        self.stopping.set()


class Driver:
    """The profile's visitor behaviour on top of the services (UI-thread callbacks)."""

    def __init__(self, services: Any, shell: HeadlessShell, journal: Journal):
        self.services, self.shell, self.journal = services, shell, journal
        self.profile = services.config.profile
        self.window = int(services.config.rater.window)

    # Commands (UI thread) ---------------------------------------------------------------
    def command(self, line: str) -> None:
        """Run one command line from stdin."""
        try:
            command = json.loads(line)
        except ValueError:
            log.error("not a command: %r", line)
            return
        op = command.get("op")
        if op == "ticket":
            self.take_ticket(command["service"], command["key"], command.get("visitor", 0), 1)
        elif op == "complain":
            self.journal.write("complaint_sent_before", phone=command["phone"])
            self.services.feedback.complain(command["category"], command["phone"])
            self.journal.write("complaint_sent", phone=command["phone"],
                               category=command["category"])
        elif op == "status":
            self.services.usage.flush()
            pending = len(self.services.usage.outbox.pending(1000))
            self.journal.write("status", outbox_pending=pending,
                               content_version=self.services.state.content_version)
        elif op == "quit":
            self.shell.exit_app()

    def take_ticket(self, service: str, key: str, visitor: int, attempt: int) -> None:
        """Press 确认取号; when offline press again later with the same key."""
        from kivy.clock import Clock

        def done(issued: Any) -> None:
            ticket = issued.ticket
            self.journal.write("ticket", key=key, visitor=visitor, id=ticket.id,
                               number=ticket.number, printed=issued.printed,
                               printer=issued.printer_message, attempts=attempt)

        def failed(code: str) -> None:
            self.journal.write("ticket_failed", key=key, visitor=visitor, code=code,
                               attempt=attempt)
            if code == "offline" and not self.shell.stopping.is_set():
                Clock.schedule_once(lambda _dt: self.take_ticket(service, key, visitor,
                                                                 attempt + 1), RETRY_SECONDS)

        if not self.services.queue.take_ticket(service, key, "normal", None, done, failed):
            # The previous visitor's ticket is still under way: this one waits a moment.
            Clock.schedule_once(lambda _dt: self.take_ticket(service, key, visitor, attempt),
                                0.2)

    # Hall feed listener (UI thread) -----------------------------------------------------
    def show_board(self, board: Any) -> None:
        """Boards are not checked here."""

    def show_status(self, status: str) -> None:
        """The feed's link status, journalled."""
        self.journal.write("feed", status=status)

    def on_feed_event(self, event: Any) -> None:
        """Calls seen by the display; 办结 at the rater's window is rated."""
        if self.profile == "display" and event.is_call:
            self.journal.write("call_seen", event=event.id, number=event.number,
                               window=event.window, event_kind=str(event.kind))
        if (self.profile == "rater" and str(event.kind) == "finished"
                and event.window == self.window and event.number):
            level = visitor_rating(event.number)
            if not level:
                self.journal.write("not_rated", ticket=event.ticket, number=event.number)
                return
            before = time.time()
            # The visitor picks the first reason the server offers for a low level.
            reasons = self.services.feedback.reasons.get(level, [])[:1]
            self.services.feedback.rate(level, reasons, "pad", ticket=event.ticket,
                                        number=event.number)
            self.journal.write("rated", ticket=event.ticket, number=event.number, level=level,
                               before=before, after=time.time())


def _watch_spoken(speaker: Any, journal: Journal, stop: threading.Event) -> None:
    """Journal each utterance once it is written (the speaker keeps its last 1000)."""
    seen, last_pass = 0, False
    while not last_pass:
        last_pass = stop.wait(0.3)
        for record in list(getattr(speaker, "spoken", [])):
            if record.index > seen:
                seen = record.index
                journal.write("spoken", index=record.index, language=record.language,
                              text=record.text, path=str(record.path or ""))


def _read_commands(driver: Driver) -> None:
    from kivy.clock import Clock

    for line in sys.stdin:
        if line.strip():
            Clock.schedule_once(lambda _dt, line=line: driver.command(line), 0)
    Clock.schedule_once(lambda _dt: driver.shell.exit_app(), 0)  # the soak went away


def run(config_path: Path) -> int:
    """Build the terminal's services, run them until told to stop; 0 on a clean stop."""
    from content.install import install_and_load
    from devices.speech import make_speaker
    from kiosk.config import load_config
    from kiosk.terminal import setup_logging
    from kiosk.terminal_devices import create_printer
    from protocol.config import merge
    from provisioning.heartbeat import load_pushed_config

    config = load_config(config_path)
    data_dir = config.data_dir
    os.environ.setdefault("KIVY_HOME", str(data_dir / "kivy"))
    setup_logging(data_dir)
    from kivy.clock import Clock

    from kiosk.services import TerminalServices
    from kiosk.shell import Shell

    Clock._max_fps = 20  # no frames to draw: tick less often
    _version, pushed = load_pushed_config(data_dir)
    if pushed is not None:
        config = merge(config, pushed)
    loaded = install_and_load(data_dir, config.terminal.content)
    speech = config.speech
    speaker = make_speaker(speech.backend, voice_zh=speech.voice_zh, voice_en=speech.voice_en,
                           rate=speech.rate,
                           wav_dir=Path(speech.wav_dir) if speech.wav_dir else None)
    services = TerminalServices(config, loaded.library, speaker, create_printer(config),
                                startup_error=loaded.error)
    services.state.content_version = loaded.library.version if loaded.library else ""
    journal = Journal(data_dir / JOURNAL)
    shell = HeadlessShell(services, journal)
    driver = Driver(services, shell, journal)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: shell.exit_app())
    services.start(cast(Shell, shell))
    if config.profile in ("display", "rater"):
        services.hall_feed.subscribe(driver)
    watcher_stop = threading.Event()
    watcher = threading.Thread(target=_watch_spoken, args=(speaker, journal, watcher_stop),
                               name="soak-spoken", daemon=True)
    watcher.start()
    threading.Thread(target=_read_commands, args=(driver,), name="soak-commands",
                     daemon=True).start()
    journal.write("started", pid=os.getpid(), profile=config.profile)
    while not shell.stopping.is_set():
        Clock.tick()
    speaker.wait_idle(30)
    services.usage.flush()
    announcer = services.hall_feed.announcer
    pending = len(services.usage.outbox.pending(1000))
    services.hall_feed.stop()
    services.stop()
    watcher_stop.set()
    watcher.join(5)
    journal.write("stopped", announced=getattr(announcer, "announced", 0),
                  skipped_stale=getattr(announcer, "skipped_stale", 0),
                  repeated=getattr(announcer, "repeated_events", 0), outbox_pending=pending)
    journal.close()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    raise SystemExit(run(Path(sys.argv[1])))
