"""Admin PIN pad: digits shown as dots, checked off the UI thread, locked after 5 misses."""

from __future__ import annotations

import threading
import time
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.config import check_pin
from kiosk.keypad import DELETE, OK, add_keypad
from kiosk.queue_link import on_ui_thread_later
from screens.base import BaseScreen, _, sentences

MAX_DIGITS = 12
MAX_ATTEMPTS = 5
LOCK_SECONDS = 60


class AdminLoginScreen(BaseScreen):
    """Staff enter the admin PIN here; success opens the admin screen."""

    lifetime = "process"  # failed attempts and the lock outlive visitors

    digits = StringProperty("")
    dots = StringProperty("")
    message = StringProperty("")
    error = BooleanProperty(False)
    checking = BooleanProperty(False)
    attempts = NumericProperty(0)
    locked_until = NumericProperty(0)
    _ticker: Any = None

    @property
    def pin_hash(self) -> str:
        """The configured admin PIN hash ('' when none is set)."""
        return str(self.services.config.terminal.admin_pin_hash)

    def refresh(self) -> None:
        """Title and the current message."""
        self.title = _("Administrator")
        self._update_message()

    def on_digits(self, _instance: Any, digits: str) -> None:
        """Show one dot per entered digit."""
        self.dots = " ".join("●" for _digit in digits)

    def on_kv_post(self, _base: Any) -> None:
        """The terminal's keypad with 删除 and 确定 beside the 0."""
        add_keypad(self.ids.keypad, self.press, left=DELETE, right=OK)

    def press(self, digit: str) -> None:
        """Add a digit (删除 and 确定 do what they say)."""
        if digit == DELETE:
            self.delete()
        elif digit == OK:
            self.confirm()
        elif len(self.digits) < MAX_DIGITS and not self.checking:
            self.digits += digit

    def delete(self) -> None:
        """Remove the last digit."""
        self.digits = self.digits[:-1]

    def remaining_lock(self) -> int:
        """Seconds left until the pad unlocks (0 when not locked)."""
        return max(0, int(self.locked_until - time.monotonic() + 0.999))

    def confirm(self) -> None:
        """Check the entered PIN in a worker thread (PBKDF2 takes a noticeable moment)."""
        if self.checking or not self.digits or not self.pin_hash or self.remaining_lock():
            self._update_message()
            return
        self.checking = True
        self.message, self.error = _("Checking…"), False
        pin, stored = self.digits, self.pin_hash
        threading.Thread(target=lambda: self._checked(check_pin(pin, stored)),
                         name="admin-pin", daemon=True).start()

    @on_ui_thread_later
    def _checked(self, ok: bool) -> None:
        self.checking = False
        self.digits = ""
        if ok:
            self.attempts = 0
            self.message, self.error = "", False
            self.shell.nav.go("admin")
            return
        self.attempts += 1
        if self.attempts >= MAX_ATTEMPTS:
            self.locked_until = time.monotonic() + LOCK_SECONDS
            self._ticker = Clock.schedule_interval(self._tick, 1)
        self._update_message(wrong=True)

    def _tick(self, _dt: float) -> bool:
        if not self.remaining_lock():
            self.attempts = 0
            self._update_message()
            return False
        self._update_message()
        return True

    def _update_message(self, wrong: bool = False) -> None:
        if not self.pin_hash:
            self.message, self.error = _("No admin PIN is set"), True
        elif self.remaining_lock():
            self.message = _("Too many wrong attempts. Try again in {seconds} seconds.").format(
                seconds=self.remaining_lock())
            self.error = True
        elif wrong:
            self.message = _("Wrong PIN. {left} attempts left.").format(
                left=MAX_ATTEMPTS - self.attempts)
            self.error = True
        else:
            self.message, self.error = _("Enter the admin PIN"), False

    def reset(self) -> None:
        """Clear the entered digits (failed attempts and a lock stay)."""
        self.digits = ""
        if not self.checking:
            self._update_message()

    def speech_text(self) -> str:
        """Title and the current message."""
        return sentences([self.title, self.message])
