"""The guides of one category."""

from __future__ import annotations

from kivy.properties import StringProperty

from screens.base import BaseScreen, localized, ngettext, sentences


class GuideListScreen(BaseScreen):
    """A list of guides; tapping one opens its detail."""

    count_text = StringProperty("")

    def refresh(self) -> None:
        """Rows for the category given as key."""
        category = self.library.category(self.params["key"])
        guides = self.library.guides_in(category.code)
        self.title = localized(category, "name")
        self.count_text = ngettext("{count} guide", "{count} guides", len(guides)).format(
            count=len(guides))
        self.ids.rows.data = [
            {"title": localized(g, "title"), "subtitle": localized(g, "summary"),
             "kind": "guide", "key": g.code, "badge": ""}
            for g in guides
        ]
        self.ids.rows.scroll_y = 1

    def speech_text(self) -> str:
        """Category and guide titles."""
        return sentences([self.title, *(row["title"] for row in self.ids.rows.data)])
