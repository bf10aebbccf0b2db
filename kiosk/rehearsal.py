"""A visitor's first steps made ready while nobody is at the terminal.

A session's first visit to a screen costs the most. The screens a visitor keeps coming back
to in a session (guide categories, service points, common questions, search) are built for
each visitor with their content, and the first screen of a kind in the process also loads
its kv rules, opens the font at new sizes, builds its kind of blocks and, in its first frame,
renders its texts and sets the GL driver up for its kinds of drawing: 50-170 ms of a tap on
a cheap terminal, against 5-40 ms for the same tap later (issue #17).

So while the attract loop runs (a while after the start, and again after each visitor),
the terminal rehearses the likely first steps: each screen is built and opened as a tap
would open it, in one frame; in the next it is drawn once under the start screen (which
covers the whole window, so nothing of it shows); in the next it is put away. A screen its
lifetime keeps for the session stays ready for the next visitor, texts rendered; any other
is left and released at once, as if a visitor had moved on, so its widget tree, kv rules,
fonts and spare list rows are ready for the real visit and its textures are freed. A
visitor touching the terminal stops the rehearsal: the Navigator calls ``cancel`` before it
shows any screen, so a screen drawn under the start screen is taken out before it can be
shown (or anything else is). From then on screens are built when shown, as always.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock

from kiosk.navigation import Navigator

log = logging.getLogger(__name__)
REHEARSAL_DELAY = 2.0  # seconds after the start or a visitor's end: the attract loop runs

Step = tuple[str, dict[str, Any]]


class Rehearsal:
    """Rehearses steps (screen name, parameters) on the navigator while the start screen is
    shown: a screen built in one frame, drawn in the next, put away in the one after."""

    def __init__(self, nav: Navigator, steps: Callable[[], list[Step]],
                 done: Callable[[], None] = lambda: None):
        self.nav = nav
        self.steps = steps
        self.done = done  # called when every step was rehearsed (not when stopped)
        self._pending: list[Step] = []
        self._open: str | None = None  # the screen being rehearsed
        self._under: Any = None  # the rehearsed screen drawn under the start screen
        self._event: Any = None
        self._spent, self._count = 0.0, 0  # time spent and screens built in this rehearsal

    @property
    def running(self) -> bool:
        """Whether steps are left (or the last one is still to be put away)."""
        return bool(self._pending) or self._open is not None

    @property
    def busy(self) -> bool:
        """Whether a rehearsal is scheduled or under way."""
        return self.running or self._event is not None

    def start(self, delay: float = REHEARSAL_DELAY) -> None:
        """Rehearse the steps from delay seconds on (again from the first step)."""
        self.cancel()
        self._pending = list(self.steps())
        self._spent, self._count = 0.0, 0
        if self._pending:
            self._event = Clock.schedule_once(self._step, delay)

    def cancel(self) -> None:
        """Stop (a screen is about to be shown); the screen being rehearsed is put away."""
        if self._event is not None:
            self._event.cancel()
            self._event = None
        self._pending = []
        self._put_away()
        self._report(finished=False)

    def _step(self, _dt: float) -> None:
        started = time.perf_counter()
        try:
            self._next()
        except Exception:  # a rehearsal must never take the terminal down
            log.exception("rehearsal abandoned")
            self.cancel()
        finally:
            self._spent += time.perf_counter() - started
        if not self.busy:
            self._report(finished=self.nav.current == self.nav.start_name)

    def _report(self, finished: bool) -> None:
        if not self._count:
            return
        log.info("rehearsed %d screens in %.0f ms (three frames each)%s", self._count,
                 self._spent * 1000, "" if finished else ", stopped")
        self._count = 0
        if finished:
            self.done()

    def _next(self) -> None:
        self._event = None
        here = self.nav.current == self.nav.start_name
        if self._open is not None and self._under is None and here and self._draw_under():
            self._event = Clock.schedule_once(self._step, 0)  # this frame draws it
            return
        self._put_away()
        if not here:  # a visitor is here: screens wait for taps
            self._pending = []
            return
        while self._pending:
            name, params = self._pending.pop(0)
            if self._rehearse(name, params):
                break
        if self.running:
            self._event = Clock.schedule_once(self._step, 0)

    def _rehearse(self, name: str, params: dict[str, Any]) -> bool:
        """Build and open one screen off screen; False if it was alive already or failed."""
        self._open = name  # put away whatever happens
        try:
            built = self.nav.rehearse(name, params)
        except Exception:  # a step that fails costs its visitor nothing
            log.exception("rehearsing screen %s %s failed", name, params)
            self._put_away()
            return False
        if not built:
            self._open = None
            return False
        self._count += 1
        log.debug("screen %s rehearsed", name)
        return True

    def _draw_under(self) -> bool:
        """Draw the rehearsed screen in the coming frame, under the start screen; False if
        there is nothing to draw (it is put away at once)."""
        from kivy.core.window import Window

        manager, name = self.nav.manager, self._open
        screen = manager.get_screen(name) if manager.has_screen(name) else None
        if screen is None or screen.parent is not None:
            return False
        Window.canvas.insert(0, screen.canvas)
        self._under = screen
        return True

    def _put_away(self) -> None:
        """Take the rehearsed screen out of the window's drawing, and leave it."""
        under, name = self._under, self._open
        self._under = self._open = None
        if under is not None:
            from kivy.core.window import Window

            if under.canvas in Window.canvas.children:
                Window.canvas.remove(under.canvas)
        if name is not None:
            try:
                self.nav.put_away(name)
            except Exception:  # released when the session ends instead
                log.exception("putting rehearsed screen %s away failed", name)
