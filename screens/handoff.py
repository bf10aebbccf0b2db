"""Hand a visitor over to the 12348 online platform: one big QR code, nothing typed here."""

from __future__ import annotations

from kivy.properties import StringProperty

from screens.base import BaseScreen, _, localized, sentences
from screens.online import render_codes_then


class HandoffScreen(BaseScreen):
    """A large QR code of one online service, its address and how to use it."""

    url = StringProperty("")
    code = StringProperty("")
    description = StringProperty("")

    def refresh(self) -> None:
        """Show the online service given as key."""
        service = self.library.online(self.params["key"])
        self.title = localized(service, "title")
        self.description = localized(service, "description")
        if service.url != self.url:
            self.url, self.code = service.url, ""
            render_codes_then([service.url], lambda: self._code_ready(service.url))

    def _code_ready(self, url: str) -> None:
        if url == self.url:  # the visitor may have moved on to another service meanwhile
            self.code = url

    def speech_text(self) -> str:
        """Title, the instruction and the privacy note."""
        return sentences([
            self.title,
            _("Scan the QR code with your phone to continue on the 12348 legal service website"),
            _("The page opens on your phone. Nothing needs to be entered on this machine."),
        ])
