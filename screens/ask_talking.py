"""The ask screen's talk button: 按住说话 (hold, speak, release) or 点击说话 (tap, speak, tap
again); what the listener hears arrives on another thread and is asked on the UI thread.
"""

from __future__ import annotations

import logging
import time

from kivy.clock import Clock
from kivy.properties import BooleanProperty

from devices.listening import Heard, ListenError
from screens.ask_typing import MAX_QUESTION
from screens.base import BaseScreen, _

log = logging.getLogger(__name__)
TAP_SECONDS = 0.6  # a press shorter than this is a tap: 点击说话, tap again to finish


class AskTalking(BaseScreen):
    """The question spoken (the ask screen's part: it asks with self.ask)."""

    listening = BooleanProperty(False)
    tap_mode = BooleanProperty(False)  # 点击说话: listening until the button is tapped again
    can_listen = BooleanProperty(False)
    _pressed_at = 0.0
    _finishing = False  # stop() was called for this utterance

    def talk_pressed(self) -> None:
        """按住说话: start listening (results arrive on another thread); pressed again
        after a tap (点击说话): finish."""
        if not self.can_listen:
            return
        if self.listening:
            if self.tap_mode:  # the second tap of 点击说话: finish, once
                self.tap_mode, self._finishing = False, True
                self.services.listener.stop()
            return
        self.listening, self.tap_mode, self._finishing = True, False, False
        self._pressed_at = time.monotonic()
        self.status = _("Listening… release the button when you are done.")
        self.services.speaker.stop()
        self.services.listener.start(
            lambda text: Clock.schedule_once(lambda _dt: self._partial(text), 0),
            lambda heard: Clock.schedule_once(lambda _dt: self._heard(heard), 0),
            lambda error: Clock.schedule_once(lambda _dt: self._not_heard(error), 0))

    def talk_released(self) -> None:
        """The visitor let go: finish the utterance, or after a short tap keep listening
        until the button is tapped again (or the listener hears the end of speech)."""
        if not self.listening or self.tap_mode or self._finishing:
            return
        if time.monotonic() - self._pressed_at < TAP_SECONDS:
            self.tap_mode = True
            self.status = _("Listening… tap the button again when you are done.")
        else:
            self._finishing = True
            self.services.listener.stop()

    def _partial(self, text: str) -> None:
        if self.listening:
            self.typed, self.pinyin = text[:MAX_QUESTION], ""

    def _heard(self, heard: Heard) -> None:
        self.listening = self.tap_mode = False
        self.typed, self.pinyin = heard.text[:MAX_QUESTION], ""
        self._show_candidates()
        self.ask(self.typed, via="voice")

    def _not_heard(self, error: ListenError) -> None:
        self.listening = self.tap_mode = False
        log.info("nothing heard: %s", error.reason)
        self.status = error.en if self.shell.state.language == "en" else error.zh
