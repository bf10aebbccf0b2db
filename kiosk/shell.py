"""What the terminal's services and screens may ask of the running app (the KioskApp)."""

from __future__ import annotations

from typing import Protocol

from content.library import Library
from kiosk.config import TerminalConfig
from kiosk.idle import IdleTimer
from kiosk.navigation import Navigator
from kiosk.state import AppState
from kiosk.theme import Theme


class Shell(Protocol):
    """The app as services and screens see it: navigation, state and a few actions."""

    nav: Navigator
    idle: IdleTimer
    state: AppState
    theme: Theme

    def speak(self, text: str) -> None:
        """Queue text for speech in the current language."""

    def start_session(self) -> None:
        """A visitor touched the attract loop."""

    def open_item(self, kind: str, key: str) -> None:
        """Open any content item by kind and key."""

    def toggle_elder_mode(self) -> None:
        """Switch 长辈版 on or off."""

    def call_staff(self) -> None:
        """呼叫工作人员 from the current screen."""

    def set_language(self, language: str) -> None:
        """Show the interface in language."""

    def read_current_screen(self) -> None:
        """Read the current screen aloud."""

    def show_message(self, text: str, seconds: int) -> None:
        """Show staff's message over the current screen for a while."""

    def offer_library(self, library: Library) -> None:
        """A newer content version arrived."""

    def apply_config(self, config: TerminalConfig) -> None:
        """Take new settings without a restart."""

    def exit_app(self) -> None:
        """Leave the app."""
