"""One idle timer for the whole app, bound at Window level so popups count as activity.

After ``timeout`` seconds without a touch or key it fires ``on_idle`` (the app
shows a countdown); after a further ``countdown`` seconds ``on_expire`` (the
app resets to the attract loop). Any touch fires ``on_wakeup``.
"""

from __future__ import annotations

import time
from typing import Any

from kivy.clock import Clock
from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, NumericProperty


class IdleTimer(EventDispatcher):
    """Watches Window input and dispatches on_idle, on_expire and on_wakeup."""

    timeout = NumericProperty(60)
    countdown = NumericProperty(15)
    remaining = NumericProperty(0)
    counting_down = BooleanProperty(False)
    enabled = BooleanProperty(True)

    __events__ = ("on_idle", "on_expire", "on_wakeup")

    def __init__(self, window: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.last_activity = time.monotonic()
        window.bind(on_touch_down=self._activity, on_key_down=self._activity)
        self._tick = Clock.schedule_interval(self._check, 0.5)

    def _activity(self, *_args: Any) -> bool:
        # The touch that ends a countdown only wakes the session: it must not also
        # press whatever lies under the overlay.
        waking = self.counting_down
        self.touch()
        return bool(waking)

    def touch(self) -> None:
        """Record activity now (also called by the 继续使用 button)."""
        self.last_activity = time.monotonic()
        if self.counting_down:
            self.counting_down = False
            self.dispatch("on_wakeup")

    def _check(self, _dt: float) -> None:
        if not self.enabled:
            self.last_activity = time.monotonic()
            return
        quiet = time.monotonic() - self.last_activity
        if not self.counting_down and quiet >= self.timeout:
            self.counting_down = True
            self.dispatch("on_idle")
        if self.counting_down:
            self.remaining = max(0, int(round(self.timeout + self.countdown - quiet)))
            if quiet >= self.timeout + self.countdown:
                self.counting_down = False
                self.last_activity = time.monotonic()
                self.dispatch("on_expire")

    def expire_now(self) -> None:
        """Jump to the end of the countdown (used by tests and the admin screen)."""
        self.last_activity = time.monotonic() - self.timeout - self.countdown
        self._check(0)

    def on_idle(self) -> None:
        """Default handler: nothing."""

    def on_expire(self) -> None:
        """Default handler: nothing."""

    def on_wakeup(self) -> None:
        """Default handler: nothing."""
