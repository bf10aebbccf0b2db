"""Admin screen: what the terminal runs (content, profile, speech, data folder, last error)."""

from __future__ import annotations

from screens.base import BaseScreen, _
from screens.blocks import Page


class AdminScreen(BaseScreen):
    """Status for staff and IT, with the only way out of the kiosk."""

    def refresh(self) -> None:
        """Collect the current status."""
        self.title = _("Administration")
        page = Page(self.ids.column)
        for label, value in self.status_rows():
            page.muted(label)
            page.paragraph(value or _("none"), speak=False)
        self.ids.scroll.scroll_y = 1

    def content_counts(self) -> str:
        """How many items of each kind the active content has."""
        if self.library is None:
            return _("No content loaded")
        content = self.library.content
        return _("{categories} categories, {guides} guides, {points} service points, "
                 "{faq} questions, {online} online services, {flows} guided flows, "
                 "{slides} slides").format(
            categories=len(content.categories), guides=len(content.guides),
            points=len(content.points), faq=len(content.faq), online=len(content.online),
            flows=len(content.flows), slides=len(content.slides))

    def status_rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs shown on the admin screen."""
        services, state = self.services, self.shell.state
        terminal = services.config.terminal
        speech = services.speaker.status
        errors = [e for e in (state.last_error, services.startup_error) if e]
        return [
            (_("Content version"), self.library.version if self.library else ""),
            (_("Content"), self.content_counts()),
            (_("Terminal profile"), str(terminal.profile)),
            (_("Orientation"), _("{configured} (configured), {current} (window)").format(
                configured=terminal.orientation, current=state.orientation)),
            (_("Speech"), " · ".join(filter(None, [str(speech.state), speech.message]))),
            (_("Data folder"), str(services.config.data_dir)),
            (_("Last error"), "\n".join(errors)),
        ]

    def open_enrol(self) -> None:
        """Enrol the terminal with the central server."""
        self.shell.nav.go("enrol")

    def exit_app(self) -> None:
        """Stop the kiosk program (only reachable here, behind the PIN)."""
        self.shell.exit_app()

    def speech_text(self) -> str:
        """Just the title: the screen is for staff."""
        return str(self.title)
