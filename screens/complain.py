"""投诉建议: choose what it is about, leave a number for a call back or write it online."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import StringProperty

from kiosk.feedback import COMPLAINT_CATEGORIES
from kiosk.i18n import tr
from kiosk.slips import with_language
from screens.base import BaseScreen, _, sentences


def category_name(key: str) -> str:
    """A complaint category in the visitor's language."""
    return {"attitude": _("Staff attitude"), "waiting": _("Waiting time"),
            "process": _("Procedures and materials"), "environment": _("Hall and facilities"),
            "integrity": _("Integrity and discipline"), "suggestion": _("A suggestion"),
            "other": _("Something else")}[key]


class ComplainScreen(BaseScreen):
    """One large button per category; a QR code to write the complaint online."""

    qr = StringProperty("")

    def refresh(self) -> None:
        """The categories in the current language."""
        self.title = _("Complaints and suggestions")
        self.qr = with_language(self.services.online_form_url, tr.language)
        grid = self.ids.categories
        if not grid.children:
            for key in COMPLAINT_CATEGORIES:
                button = Factory.KButton(font_size=self.shell.theme.heading)
                button.key = key
                button.bind(on_release=lambda _w, k=key: self.shell.nav.go("complain_phone",
                                                                         category=k))
                grid.add_widget(button)
        for button in grid.children:
            button.text = category_name(button.key)

    def speech_text(self) -> str:
        """Title and the categories."""
        return sentences([self.title, _("What is it about?"),
                          *(category_name(key) for key in COMPLAINT_CATEGORIES)])
