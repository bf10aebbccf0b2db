"""Maintenance screen: a calm message, the technical reason small, the hotline."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from screens.base import BaseScreen, _, sentences


class ErrorScreen(BaseScreen):
    """Shown when content cannot be loaded or a screen fails; staff read the small print."""

    message = StringProperty("")
    hotline = StringProperty("")
    can_go_home = BooleanProperty(False)

    def refresh(self) -> None:
        """Texts in the current language; 返回首页 only when there is content to go back to."""
        self.title = _("Public Legal Services")
        self.message = str(self.params.get("message", ""))
        self.hotline = _("Legal service hotline {hotline} (24 hours)").format(
            hotline=self.services.config.terminal.hotline)
        self.can_go_home = self.library is not None

    def go_home(self) -> None:
        """Back to the home screen."""
        self.shell.nav.home()

    def speech_text(self) -> str:
        """The calm message and the hotline (not the technical detail)."""
        return sentences([_("The system is under maintenance"),
                          _("Please ask the staff at the service desk, or call the hotline."),
                          self.hotline])
