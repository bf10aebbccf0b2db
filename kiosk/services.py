"""Everything the terminal runs besides its screens, built before the Kivy App.

Each service gets the typed collaborators it needs; what they need from the running app
(navigation, actions) comes through the Shell bound once the App exists.
"""

from __future__ import annotations

import threading

from kivy.clock import Clock

from content.answers import segment
from content.ime import LazyIME
from content.library import Library
from devices.a4_printer import CupsPrinter
from devices.listening import Listener
from devices.printer import Printer
from devices.speech import Speaker
from devices.speech_input import make_listener
from kiosk.asked import AskedQuestions
from kiosk.cases import CaseLink
from kiosk.config import TerminalConfig
from kiosk.connectivity import Connectivity
from kiosk.feedback import FeedbackLink
from kiosk.hall_feed import HallFeed
from kiosk.help_call import HelpCall
from kiosk.queue_link import QueueLink
from kiosk.shell import Shell
from kiosk.state import AppState
from kiosk.usage import UsageRecorder

ASKING_PROFILES = ("query", "robot")  # profiles with the search and ask screens
WORD_TABLES = "word-tables"  # in the data folder: content.wordstore's files
WARM_DELAY = 2.0  # seconds after start before the input method and answers are built


def hall_words(library: Library | None) -> list[str]:
    """The hall's own words, which the pinyin input offers first: lexicon words and the
    titles of guides and services."""
    if library is None:
        return []
    content = library.content
    words = [w for entry in content.lexicon for w in (*entry.words, *entry.terms)]
    words += [c.name for c in content.categories] + [g.where.service for g in content.guides]
    return words


def a4_printer(config: TerminalConfig) -> CupsPrinter | None:
    """The configured A4 printer (a CUPS queue), or None."""
    queue = config.printer.a4_queue.strip()
    return CupsPrinter(queue, config.printer.a4_server.strip() or None) if queue else None


class TerminalServices:
    """Config, content, speech, the printer and queue, the server link, the hall feed,
    feedback and the usage outbox of one terminal."""

    def __init__(self, config: TerminalConfig, library: Library | None, speaker: Speaker,
                 printer: Printer, startup_error: str = ""):
        self.config = config
        self.library = library
        self.pending_library: Library | None = None  # arrived during a visitor's session
        self.startup_error = startup_error
        self.speaker = speaker
        self.listener: Listener = make_listener(config)  # NullListener unless [listening] set
        self.state = AppState(language=config.terminal.language)
        self.usage = UsageRecorder(config.data_dir)
        self.link = Connectivity(config.data_dir, self)
        self.queue = QueueLink(printer, self.state, self.link, lambda: self.config)
        self.feedback = FeedbackLink(config.data_dir, self.link, self.usage)
        self.cases = CaseLink(self.link, self.usage)
        self.hall_feed = HallFeed(self.link, speaker, lambda: self.config)
        self.asked = AskedQuestions(config.data_dir)
        # jieba's dictionary and the input's tables are read from files, not held (#17)
        tables = config.data_dir / WORD_TABLES
        segment.use_store(tables)
        self.ime = LazyIME(hall_words(library), tables)
        # the library whose answer engine (and the segmenter) is loaded: it answers on the
        # UI thread in about a millisecond; any other answers on a worker thread first
        self.warm_library: Library | None = None
        self.help = HelpCall(self.link, self.state)
        # fill-in documents; without a queue the visitor is offered the QR code instead
        self.a4_printer: CupsPrinter | None = a4_printer(config)

    def start(self, shell: Shell) -> None:
        """Start the workers, acting on shell (the running app)."""
        self.link.bind(shell)
        # On the next frame: the link imports SQLAlchemy and requests' HTTP machinery (about
        # 0.2 s), which the first frame need not wait for.
        Clock.schedule_once(lambda _dt: self.link.start(), 0)
        self.queue.start()
        if self.config.profile in ASKING_PROFILES:  # the others never type or ask
            # after the first frames: the start is not slowed by building them
            timer = threading.Timer(WARM_DELAY, self.warm)
            timer.daemon = True
            timer.start()

    def warm(self) -> None:
        """Build the pinyin input and the answer engine before the first visitor needs them."""
        self.ime.start()
        threading.Thread(target=self.warm_answers, name="answers", daemon=True).start()

    def warm_answers(self) -> None:
        """Build the answer engine and load the segmenter before the first question."""
        library = self.library
        if library is not None:
            library.ask("你好")
            self.warm_library = library

    def stop(self) -> None:
        """Stop every worker."""
        self.hall_feed.stop()
        self.help.reset()
        self.link.stop()
        self.queue.stop()
        self.usage.close()
        self.listener.cancel()
        self.speaker.close()

    @property
    def online_form_url(self) -> str:
        """The hall's online complaint and comment form (the server's page), if enrolled."""
        state = self.link.state
        if not state.server_url or not state.hall:
            return ""
        return f"{state.server_url.rstrip('/')}/complain/{state.hall}"
