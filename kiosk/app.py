"""The Kivy App: wires content, devices, state, screens and the idle timer; nothing more."""

from __future__ import annotations

import ctypes
import gc
import logging
import os
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics.context import get_context
from kivy.lang import Builder
from kivy.uix.screenmanager import NoTransition, ScreenManager

from content.library import Library
from devices.speech import Speaker
from kiosk import keypad  # noqa: F401  (registers Keypad and KeypadKey for kv)
from kiosk.config import TerminalConfig
from kiosk.connectivity import Connectivity
from kiosk.feedback import FeedbackLink
from kiosk.i18n import tr
from kiosk.idle import IdleTimer
from kiosk.lists import fill_spare_rows
from kiosk.navigation import Navigator
from kiosk.queue_link import QueueLink
from kiosk.rehearsal import Rehearsal
from kiosk.services import TerminalServices, a4_printer
from kiosk.state import AppState
from kiosk.terminal_devices import create_printer
from kiosk.theme import Theme
from kiosk.usage import UsageRecorder
from kiosk.widgets import CountdownOverlay, MessageOverlay
from provisioning.heartbeat import SystemdNotifier
from screens.home import first_steps
from screens.registry import ScreenFactory

log = logging.getLogger(__name__)
FULL_COLLECTIONS_NEVER = 1_000_000  # young-generation collections before a full one
ESCAPE_KEYS = {27, 1001}  # Esc and Android back
HELP_MESSAGE_SECONDS = 10
SPARE_ROWS_DELAY = 1.0  # seconds after the start
SPARE_ROWS_PER_FRAME = 4  # rows built a frame at start (all 32 at once were about 90 ms)
# (start, home) screens of each profile: a dispenser only issues tickets, a display only calls.
PROFILE_SCREENS = {"query": ("attract", "home"), "robot": ("attract", "ask"),
                   "dispenser": ("ticket", "ticket"), "display": ("display", "display"),
                   "rater": ("rater", "rater")}
ITEM_SCREENS = {"guide": "guide_detail", "faq": "faq_detail", "point": "point_detail",
                "category": "guide_list", "online": "handoff", "flow": "flow",
                "law": "law_detail", "article": "law_article", "calculator": "calculator"}


def trim_heap() -> None:
    """Give freed heap pages back to the system: glibc keeps them after a collection, so
    screens and textures released during a session would stay resident as free space."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def watchdog_interval() -> float:
    """Seconds between watchdog pings: half of systemd's WATCHDOG_USEC, 20 s without it."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    return max(0.5, int(usec) / 2_000_000) if usec.isdigit() else 20.0


class KioskApp(App):
    """The terminal application: the Shell its services and screens act through."""

    nav: Navigator
    idle: IdleTimer

    def __init__(self, services: TerminalServices, **kwargs: Any):
        super().__init__(**kwargs)
        self.services = services
        self.theme = Theme()
        self._offer_languages(services.config)
        self.allow_exit = False
        self.title = "hallkiosk"
        self.use_kivy_settings = False

    # The services, by the names kv rules and tests use.
    @property
    def state(self) -> AppState:
        """The observable state the screens show."""
        return self.services.state

    @property
    def terminal_config(self) -> TerminalConfig:
        """The settings of the moment."""
        return self.services.config

    @terminal_config.setter
    def terminal_config(self, config: TerminalConfig) -> None:
        self.services.config = config  # as is: apply_config is the way to take new settings

    @property
    def library(self) -> Library | None:
        """The content shown now."""
        return self.services.library

    @library.setter
    def library(self, library: Library | None) -> None:
        self.services.library = library  # at once: offer_library waits for a free screen

    @property
    def speaker(self) -> Speaker:
        """The speech output."""
        return self.services.speaker

    @property
    def link(self) -> Connectivity:
        """The server link."""
        return self.services.link

    @property
    def queue(self) -> QueueLink:
        """The queue and the printer."""
        return self.services.queue

    @property
    def feedback(self) -> FeedbackLink:
        """Ratings and complaints."""
        return self.services.feedback

    @property
    def usage(self) -> UsageRecorder:
        """The usage outbox."""
        return self.services.usage

    def build(self) -> ScreenManager:
        """Create navigation (screens are built as they are shown) and the idle timer."""
        tr.switch(self.state.language)
        Builder.load_file(str(Path(__file__).with_name("widgets.kv")))
        manager = ScreenManager(transition=NoTransition())
        start, home = PROFILE_SCREENS[self.terminal_config.profile]
        # screens are built when first shown and released when left (kiosk.navigation)
        self.nav = Navigator(manager, ScreenFactory(self.services, self), home=home, start=start)
        self.rehearsal = Rehearsal(self.nav, self._first_steps, done=self._rehearsed)
        self.nav.before_show = self.rehearsal.cancel  # a screen shown: a visitor is here
        self.state.speech_available = self.terminal_config.speech.backend != "null"
        self.state.read_aloud = self.terminal_config.reads_aloud
        self.state.content_version = self.library.version if self.library else ""
        self.idle = IdleTimer(Window)
        self.idle.bind(on_idle=self._on_idle, on_expire=self._on_expire,
                       on_wakeup=self._on_wakeup)
        self.countdown = CountdownOverlay()
        self.message = MessageOverlay()
        self.idle.bind(remaining=self.countdown.setter("remaining"))
        self._apply_idle_limits()
        self.theme.bind(elder=lambda *_: self._apply_idle_limits())
        manager.bind(current=self._on_screen_change)
        self.state.bind(help_status=self._help_changed)
        Window.bind(on_keyboard=self._on_keyboard, on_request_close=self._on_request_close,
                    size=self._on_window_size)
        self._on_window_size(Window, Window.size)
        if self.library is None:
            self.nav.go("error", message=self.services.startup_error)
        else:
            self.nav.restart()
        return manager

    # Visitor session -------------------------------------------------------------
    def start_session(self) -> None:
        """A visitor touched the attract loop: greet (robot profile) and show home."""
        self.nav.home()
        if self.terminal_config.profile == "robot":
            self.speak(tr._("Hello! What would you like to ask? Type your question, or tap "
                            "one of the questions people often ask."))

    def open_item(self, kind: str, key: str) -> None:
        """Open any content item by kind and key (search results, lists, flow results)."""
        self.nav.go(ITEM_SCREENS[kind], key=key)

    def continue_session(self) -> None:
        """The visitor pressed 继续使用 on the countdown."""
        self.idle.touch()

    def call_staff(self) -> None:
        """呼叫工作人员: alert the hall's consoles, naming the screen the visitor is on."""
        screen = self.nav.manager.current_screen
        self.services.help.request(screen.name, screen.title)

    def _help_changed(self, _state: Any, status: str) -> None:
        text = {"sending": tr._("Calling staff…"),
                "waiting": tr._("Staff have been told. Please wait a moment."),
                "coming": tr._("A member of staff is on the way."),
                "failed": tr._("Staff could not be called. Please ask at the service desk or "
                               "call 12348.")}.get(status)
        if text:
            self.show_message(text, HELP_MESSAGE_SECONDS)
            self.speak(text)

    def toggle_elder_mode(self) -> None:
        """Switch 长辈版 on or off."""
        self.theme.elder = self.state.elder_mode = not self.theme.elder

    def toggle_language(self) -> None:
        """Switch to the next language offered (Chinese and English, unless IT chose one)."""
        offered = list(self.state.languages)
        index = offered.index(self.state.language) if self.state.language in offered else -1
        self.set_language(offered[(index + 1) % len(offered)])

    def set_language(self, language: str) -> None:
        """Show the interface and content in language (only one of those offered)."""
        if language not in self.state.languages:
            log.warning("language %s is not offered on this terminal", language)
            return
        self.state.language = language
        tr.switch(language)
        self.nav.manager.current_screen.refresh()

    def speak(self, text: str) -> None:
        """Queue text for speech in the current language (never blocks)."""
        if text:
            self.speaker.say(text, language="zh" if self.state.language == "zh_CN" else "en")

    def read_current_screen(self) -> None:
        """Read the current screen's main text aloud, replacing anything being read."""
        self.speaker.stop()
        self.speak(self.nav.manager.current_screen.speech_text())

    def offer_library(self, library: Library) -> None:
        """A newer content version arrived: show it now if nobody is using the screen."""
        self.services.pending_library = library
        if self.nav.current in ("attract", "error"):
            self._switch_library()
            if self.nav.current == self.nav.start_name:  # screens made ready on the old content
                self.nav.restart()
                self.rehearsal.start()

    def _switch_library(self) -> None:
        library, self.services.pending_library = self.services.pending_library, None
        if library is None:
            return
        log.info("showing content version %s", library.version)
        self.services.library = library
        self.state.content_version = library.version
        if self.nav.current == "error":
            self.nav.restart()
        else:
            self.nav.manager.current_screen.refresh()

    def show_message(self, text: str, seconds: int) -> None:
        """Show a message from the hall's staff over the current screen for a while."""
        self.message.text = text
        self.message.open(animation=False)
        Clock.schedule_once(lambda _dt: self.message.dismiss(animation=False), seconds)

    def reset_session(self) -> None:
        """Forget the visitor: defaults back, every input cleared, attract loop shown."""
        self.speaker.stop()
        self.countdown.dismiss(animation=False)
        self.services.help.reset()
        self.theme.elder = self.state.elder_mode = False
        self.state.read_aloud = self.terminal_config.reads_aloud
        if self.state.language != self.terminal_config.terminal.language:
            self.set_language(self.terminal_config.terminal.language)
        self._switch_library()  # content that arrived during the session
        self.nav.restart()
        fill_spare_rows()  # the next visitor's lists take built rows
        self._tidy()
        self.rehearsal.start()  # the next visitor's first screens, built while nobody is here

    def _tidy(self) -> None:
        """Free what released screens held, while nobody is using the terminal: when a
        visitor's session ends, and again after the rehearsal that follows (each about
        0.3 s on a cheap terminal: the only full collections). Without the first, the
        rehearsal builds on the session's garbage and the heap stays about 20 MiB larger;
        without the second, the rehearsal's released screens wait for the next session's end."""
        gc.collect()
        get_context().gl_dealloc()  # delete the released screens' textures now, not next frame
        trim_heap()

    def _rehearsed(self) -> None:
        self._tidy()
        self._fill_spare_rows()  # what the lists kept ready (service points) took, a few a frame

    def _first_steps(self) -> list[tuple[str, dict[str, Any]]]:
        """The screens rehearsed between visitors: a query terminal's usual first steps."""
        if self.library is None or self.nav.home_name != "home":
            return []
        return first_steps(self.library)

    def apply_config(self, config: TerminalConfig) -> None:
        """Take new settings (pushed by the server) without a restart."""
        previous, self.services.config = self.services.config, config
        self._apply_idle_limits()
        self._offer_languages(config)
        if self.state.language not in config.service.languages:
            self.set_language(config.terminal.language)
        if config.printer != previous.printer:
            self.queue.replace_printer(create_printer(config))
            self.services.a4_printer = a4_printer(config)
        if config.profile != previous.profile:
            log.info("profile changed from %s to %s", previous.profile, config.profile)
            self.rehearsal.cancel()  # it rehearsed the old profile's screens
            self.nav.start_name, self.nav.home_name = PROFILE_SCREENS[config.profile]
            self.state.read_aloud = config.reads_aloud
            if self.nav.current in ("attract", previous.profile, "ticket", "display", "rater"):
                self.nav.restart()  # nobody is in the middle of something: switch now
                self.rehearsal.start()

    def exit_app(self) -> None:
        """Leave the app (only reachable from the admin screen)."""
        self.allow_exit = True
        self.speaker.close()
        self.stop()

    # Events ----------------------------------------------------------------------
    def _offer_languages(self, config: TerminalConfig) -> None:
        self.state.languages = list(config.service.languages)
        self.state.multilingual = len(config.service.languages) > 1

    def _apply_idle_limits(self) -> None:
        idle = self.terminal_config.idle
        self.idle.timeout = idle.elder_timeout if self.theme.elder else idle.timeout
        self.idle.countdown = idle.elder_countdown if self.theme.elder else idle.countdown

    def _on_screen_change(self, _manager: Any, name: str) -> None:
        self.state.current_screen = name
        if name not in ("attract", "display", "rater", "admin", "admin_login", "enrol"):
            key = self.nav.params.get("key") or self.nav.params.get("service")
            self.usage.record("usage.screen", {"screen": name, "key": key,
                                               "language": self.state.language})
        self.idle.enabled = name not in ("attract", "display", "rater") and (
            name != self.nav.start_name)
        self.speaker.stop()
        if self.state.read_aloud and name != "attract":
            Clock.schedule_once(lambda _dt: self.speak(
                self.nav.manager.current_screen.speech_text()), 0)

    def _on_idle(self, *_args: Any) -> None:
        log.info("idle on %s; countdown shown", self.state.current_screen)
        self.countdown.open(animation=False)

    def _on_wakeup(self, *_args: Any) -> None:
        self.countdown.dismiss(animation=False)

    def _on_expire(self, *_args: Any) -> None:
        log.info("idle countdown expired; session reset")
        self.reset_session()

    def _on_keyboard(self, _window: Any, key: int, *_args: Any) -> bool:
        # Esc, back and shortcuts never leave the kiosk; the admin screen exits explicitly.
        return key in ESCAPE_KEYS and not self.allow_exit

    def _on_request_close(self, *_args: Any, **_kwargs: Any) -> bool:
        if not self.allow_exit:
            log.warning("window close requested outside admin mode; ignored")
        return not self.allow_exit

    def _on_window_size(self, _window: Any, size: tuple[int, int]) -> None:
        landscape = size[0] > size[1]
        self.state.orientation = "landscape" if landscape else "portrait"
        self.state.tile_columns = 4 if landscape else 2
        self.state.split = "horizontal" if landscape else "vertical"
        self.state.keyboard_columns = 7 if landscape else 9

    def open_settings(self, *_args: Any) -> bool:
        """Kivy's F1 settings panel would let a visitor reconfigure the kiosk: never open it."""
        return False

    def on_start(self) -> None:
        """Everything long-lived exists now: keep it out of the garbage collector's walks."""
        # Full collections over the content and widget trees took 0.4-0.9 s and showed
        # up as stalled taps. Frozen objects are never traversed, and full collections
        # run only between visitors (reset_session), never while someone is tapping.
        # The first visitor's lists take built rows, made from a second after the first
        # frame (which the start need not wait for), a few a frame: a visitor tapping
        # meanwhile waits a few milliseconds, not the whole fill.
        Clock.schedule_once(self._fill_spare_rows, SPARE_ROWS_DELAY)
        self.rehearsal.start()
        gc.collect()
        gc.freeze()
        gc.set_threshold(700, 10, FULL_COLLECTIONS_NEVER)
        self.services.start(self)
        # systemd (Type=notify, WatchdogSec): ready after the first frame, then pings from
        # the UI thread's clock, so a frozen interface stops them and the session restarts.
        self.notifier = SystemdNotifier()
        Clock.schedule_once(lambda _dt: self.notifier.ready(), 0)
        Clock.schedule_interval(lambda _dt: self.notifier.watchdog(), watchdog_interval())

    def _fill_spare_rows(self, _dt: float = 0) -> None:
        """Build SPARE_ROWS_PER_FRAME spare list rows, and the next few the next frame."""
        if fill_spare_rows(SPARE_ROWS_PER_FRAME) == SPARE_ROWS_PER_FRAME:
            Clock.schedule_once(self._fill_spare_rows, 0)

    def on_stop(self) -> None:
        """Stop the server link and speech cleanly."""
        self.services.stop()
