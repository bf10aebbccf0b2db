"""Screen navigation with a history for the back button; screens built on demand and released.

A screen is built the first time it is shown (``Navigator.screen``) and released when the
visitor has left it: removed from the ScreenManager and dropped, with its widgets and
textures, once it is neither the start or home screen, nor on the way back (the history),
nor among the few most recently shown. A screen's ``lifetime`` can keep it longer:
"session" screens hold what the visitor entered (a form, filters, a question) and are
released when the session ends; "process" screens hold state that must outlive visitors
(the admin PIN pad's lock). A released screen is built again, in the current language,
mode and orientation, when it is next shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kivy.uix.layout import Layout
from kivy.uix.recyclelayout import RecycleLayout
from kivy.uix.screenmanager import Screen, ScreenManager
from kivy.uix.scrollview import ScrollView

log = logging.getLogger(__name__)
KEEP_RECENT = 4  # most recently shown screens kept alive (the current one included)


class Navigator:
    """Moves between screens by name, passing parameters, and remembers the way back."""

    def __init__(self, manager: ScreenManager, build: Callable[[str], Screen],
                 home: str = "home", start: str = "attract", keep: int = KEEP_RECENT):
        self.manager = manager
        self.build = build
        self.home_name = home
        self.start_name = start
        self.keep = keep
        self.history: list[tuple[str, dict[str, Any]]] = []
        self.params: dict[str, Any] = {}
        self.recent: list[str] = []  # names shown, least recently shown first
        # called before any screen is shown (KioskApp: stop rehearsing, kiosk.rehearsal)
        self.before_show: Callable[[], None] = lambda: None

    @property
    def current(self) -> str:
        """Name of the screen shown now."""
        return str(self.manager.current)

    def screen(self, name: str) -> Any:
        """The screen called name, built (and added to the manager) if it is not alive."""
        if self.manager.has_screen(name):
            return self.manager.get_screen(name)
        screen = self.build(name)
        self.manager.add_widget(screen)
        lay_out_now(screen, self.manager.size)
        log.debug("screen %s built", name)
        return screen

    def built(self) -> list[Any]:
        """The screens alive now."""
        return list(self.manager.screens)

    def go(self, name: str, **params: Any) -> None:
        """Show a screen with parameters, remembering the current one."""
        if self.current not in (self.start_name, name) or self.params != params:
            self.history.append((self.current, self.params))
        self._show(name, params)

    def back(self) -> None:
        """Return to the previous screen (home when there is none)."""
        while self.history:
            name, params = self.history.pop()
            if name != self.start_name:
                self._show(name, params)
                return
        self._show(self.home_name, {})

    def home(self) -> None:
        """Go to the home screen and forget the history."""
        self.history.clear()
        self._show(self.home_name, {})

    def restart(self) -> None:
        """Reset every screen and return to the attract loop; release what the session used."""
        self.history.clear()
        self.recent.clear()  # the last visitor's screens are not kept for the next
        for screen in self.manager.screens:
            screen.reset()
        self._show(self.start_name, {})
        self.release(session_over=True)

    def release(self, session_over: bool = False) -> None:
        """Drop the screens nobody needs now (see the module's docstring)."""
        from kiosk.lists import release_rows  # Kivy's text provider only once configured

        keep = {self.start_name, self.home_name, self.current,
                *(name for name, _params in self.history), *self.recent[-self.keep:]}
        transition = self.manager.transition
        leaving = transition.screen_out if transition.is_active else None
        for screen in list(self.manager.screens):
            lifetime = getattr(screen, "lifetime", "visit")
            if screen.name in keep or screen is leaving or lifetime == "process" or (
                    lifetime == "session" and not session_over):
                continue
            self.manager.remove_widget(screen)
            release_rows(screen)  # before release(): a screen may hand its widgets on
            screen.release()
            log.debug("screen %s released", screen.name)

    def rehearse(self, name: str, params: dict[str, Any]) -> bool:
        """Build a screen that is not alive and open it with params, without showing it
        (kiosk.rehearsal); False if it was alive. ``put_away`` follows a frame later."""
        if self.manager.has_screen(name):
            return False
        self.screen(name).open(**params)
        return True

    def put_away(self, name: str) -> None:
        """After a rehearsal: a screen its lifetime does not keep is left (emptied as a
        visitor leaving it would, see BaseScreen.on_leave) and released now."""
        on_the_way = {self.current, *self.recent[-self.keep:],
                      *(shown for shown, _params in self.history)}
        if not self.manager.has_screen(name) or name in on_the_way:
            return  # shown meanwhile: the visitor's now
        screen = self.manager.get_screen(name)
        if not self.keeps(screen):
            screen.dispatch("on_leave")
        self.release()

    def keeps(self, screen: Screen) -> bool:
        """Whether a screen stays built between visits (home, start, or its lifetime)."""
        return screen.name in (self.start_name, self.home_name) or getattr(
            screen, "lifetime", "visit") != "visit"

    def _show(self, name: str, params: dict[str, Any]) -> None:
        self.before_show()
        self.params = dict(params)
        screen = self.screen(name)  # the first screen added becomes current at once
        screen.open(**params)
        self.manager.current = name
        if name in self.recent:
            self.recent.remove(name)
        self.recent.append(name)
        self.release()
        log.debug("screen %s %s", name, params)


def lay_out_now(screen: Screen, size: tuple[float, float]) -> None:
    """Give a new screen its size and lay its widgets out at once, top down.

    Kivy would lay a new screen out over its next frame, a level of boxes at a time, after
    its labels had already been laid out (wrapped, measured) at the 100 px every widget is
    born with, and then again at their real width: about twice the text work of a screen
    and of the content its ``refresh`` adds. Here each box sizes its children before any
    label text is laid out; the usual passes still follow for sizes that come from text.
    """
    screen.size = size
    for widget in screen.walk(restrict=True):
        if isinstance(widget, RecycleLayout):
            continue  # laid out by its RecycleView from the rows' data
        if isinstance(widget, Layout):
            widget.do_layout()
        elif isinstance(widget, ScrollView):
            widget.update_from_scroll()
