"""Screen navigation with a history for the back button."""

from __future__ import annotations

import logging
from typing import Any

from kivy.uix.screenmanager import ScreenManager

log = logging.getLogger(__name__)


class Navigator:
    """Moves between screens by name, passing parameters, and remembers the way back."""

    def __init__(self, manager: ScreenManager, home: str = "home", start: str = "attract"):
        self.manager = manager
        self.home_name = home
        self.start_name = start
        self.history: list[tuple[str, dict[str, Any]]] = []
        self.params: dict[str, Any] = {}

    @property
    def current(self) -> str:
        """Name of the screen shown now."""
        return str(self.manager.current)

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
        """Reset every screen and return to the attract loop."""
        self.history.clear()
        for screen in self.manager.screens:
            screen.reset()
        self._show(self.start_name, {})

    def _show(self, name: str, params: dict[str, Any]) -> None:
        screen = self.manager.get_screen(name)
        self.params = dict(params)
        screen.open(**params)
        self.manager.current = name
        log.debug("screen %s %s", name, params)
