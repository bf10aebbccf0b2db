"""The guides of one category."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.i18n import tr
from screens.base import BaseScreen, localized, ngettext, sentences


class GuideListScreen(BaseScreen):
    """A list of guides; tapping one opens its detail."""

    body_class = "GuideListBody"
    body_properties = ("title", "count_text")
    count_text = StringProperty("")
    _shown_for: tuple[str, str, str] = ("", "", "")

    def refresh(self) -> None:
        """Rows for the category given as key. Back from a guide to the same list keeps the
        rows and where the visitor had scrolled to."""
        shown_for = (self.params["key"], tr.language, self.library.version)
        if shown_for == self._shown_for:
            return
        self._shown_for = shown_for
        category = self.library.category(self.params["key"])
        guides = self.library.guides_in(category.code)
        self.title = localized(category, "name")
        self.count_text = ngettext("{count} guide", "{count} guides", len(guides)).format(
            count=len(guides))
        # localized() inlined: a category has up to 1,000 guides (about 2 ms of the tap)
        if tr.language == "en":
            self.ids.rows.data = [
                {"title": g.title_en or g.title, "subtitle": g.summary_en or g.summary,
                 "kind": "guide", "key": g.code, "badge": ""}
                for g in guides
            ]
        else:
            self.ids.rows.data = [
                {"title": g.title, "subtitle": g.summary, "kind": "guide", "key": g.code,
                 "badge": ""}
                for g in guides
            ]
        self.ids.rows.scroll_y = 1

    def reset(self) -> None:
        """The next visitor starts at the top of a freshly built list."""
        self._shown_for = ("", "", "")

    def speech_text(self) -> str:
        """Category and guide titles."""
        return sentences([self.title, *(row["title"] for row in self.ids.rows.data)])
