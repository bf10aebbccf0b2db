"""Elder mode (长辈版), read-aloud and language, each a big on/off choice with an explanation."""

from __future__ import annotations

from kivy.properties import StringProperty

from screens.base import BaseScreen, _, sentences

# Each language is named in itself, so a visitor can find theirs whatever is shown now.
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


class AccessibilityScreen(BaseScreen):
    """Big toggles for text size, read-aloud and language; also shows the hotline."""

    hotline = StringProperty("")

    def refresh(self) -> None:
        """Title and hotline in the current language."""
        self.title = _("Elder mode and help")
        self.hotline = _("Legal service hotline {hotline} (24 hours)").format(
            hotline=self.services.config.terminal.hotline)
        self._show_speech_card(self.shell.state.speech_available)

    def _show_speech_card(self, shown: bool) -> None:
        # Removed rather than hidden, so an invisible card cannot take touches; ids holds weak
        # references only, so keep the card alive while it is out of the tree.
        if not hasattr(self, "_speech_card"):
            self._speech_card = self.ids.speech_card.__self__
        card, column = self._speech_card, self.ids.column
        if not shown and card.parent is not None:
            column.remove_widget(card)
        elif shown and card.parent is None:
            column.add_widget(card, index=len(column.children) - 1)

    def set_elder_mode(self, on: bool) -> None:
        """Switch 长辈版 (large text, large buttons, longer time) on or off."""
        if self.shell.theme.elder != on:
            self.shell.toggle_elder_mode()

    def set_read_aloud(self, on: bool) -> None:
        """Read every screen aloud on entering it, or stop doing so."""
        self.shell.state.read_aloud = on
        if on:
            self.shell.read_current_screen()
        else:
            self.services.speaker.stop()

    def set_language(self, language: str) -> None:
        """Show the interface and content in language."""
        if self.shell.state.language != language:
            self.shell.set_language(language)

    def speech_text(self) -> str:
        """Title and what each choice does."""
        parts = [self.title,
                 _("Elder mode"), _("Larger text and buttons, and more time before the screen "
                                    "resets.")]
        if self.shell.state.multilingual:
            parts += [_("Language"), _("Show the screens in Chinese or English.")]
        if self.shell.state.speech_available:
            parts[3:3] = [_("Read aloud"), _("Every screen is read aloud when it opens. "
                                             "You can also press Read aloud at the top.")]
        return sentences(parts)
