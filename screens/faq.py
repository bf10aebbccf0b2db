"""Common questions: one category at a time (or all), as a fast list."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import StringProperty

from kiosk.i18n import tr
from screens.base import BaseScreen, _, localized, sentences

ALL = ""


class FaqScreen(BaseScreen):
    """Category chips (single choice, plus All) above the list of questions."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    category = StringProperty(ALL)
    count_text = StringProperty("")

    def __init__(self, **kwargs: Any):
        self._chips: list[Any] = []
        self._built_for: tuple[str, str] | None = None
        super().__init__(**kwargs)

    def refresh(self) -> None:
        """Rebuild the chips when language or content changed, then the list."""
        self.title = _("Questions")
        built_for = (tr.language, self.library.version if self.library else "")
        if built_for != self._built_for:
            self._build_chips()
            self._built_for = built_for
        self._apply()

    def _build_chips(self) -> None:
        box = self.ids.chips
        box.clear_widgets()
        self._chips = []
        used = {entry.category for entry in self.library.content.faq} if self.library else set()
        choices = [(ALL, _("All"))] + [
            (c.code, localized(c, "name")) for c in (self.library.categories() if self.library
                                                     else []) if c.code in used]
        for value, label in choices:
            chip = Factory.Chip(text=label, value=value)
            chip.bind(on_release=lambda widget: self.choose(widget.value))
            box.add_widget(chip)
            self._chips.append(chip)

    def choose(self, category: str) -> None:
        """Show the questions of one category ('' for all)."""
        self.category = category
        self._apply()

    def _apply(self) -> None:
        for chip in self._chips:
            chip.state = "down" if chip.value == self.category else "normal"
        entries = self.library.content.faq if self.library else []
        names = {c.code: localized(c, "name") for c in self.library.categories()} \
            if self.library else {}
        rows = [{"title": localized(e, "question"), "subtitle": names.get(e.category, ""),
                 "badge": "", "kind": "faq", "key": e.id}
                for e in entries if self.category in (ALL, e.category)]
        if rows != self.ids.rows.data:
            self.ids.rows.data = rows
            self.ids.rows.scroll_y = 1
        self.count_text = _("Questions shown: {count}").format(count=len(rows))

    def reset(self) -> None:
        """Back to all categories."""
        self.choose(ALL)

    def speech_text(self) -> str:
        """Title and the first few questions."""
        questions = [row["title"] for row in self.ids.rows.data[:5]]
        return sentences([self.title, self.count_text, *questions])
