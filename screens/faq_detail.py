"""One common question: the answer, its keywords and a way on to the category's guides."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.i18n import tr
from screens.base import BaseScreen, _, localized, localized_list, sentences


class FaqDetailScreen(BaseScreen):
    """Question as heading, the answer, keywords, and a button to related guides."""

    question = StringProperty("")
    answer = StringProperty("")
    keywords = StringProperty("")
    guides_text = StringProperty("")
    has_guides = BooleanProperty(False)
    category = StringProperty("")

    def refresh(self) -> None:
        """Show the entry given as key."""
        entry = self.library.faq_entry(self.params["key"])
        category = self.library.category(entry.category)
        self.title = _("Questions")
        self.question = localized(entry, "question")
        self.answer = localized(entry, "answer")
        keywords = localized_list(entry, "keywords")  # Chinese keywords only in Chinese
        if tr.language == "en" and not entry.keywords_en:
            keywords = []
        self.keywords = _("Keywords: {keywords}").format(
            keywords=_("LIST_SEPARATOR").join(keywords)) if keywords else ""
        self.category = entry.category
        self.has_guides = bool(self.library.guides_in(entry.category))
        self.guides_text = _("Service guides: {category}").format(
            category=localized(category, "name"))
        self.ids.scroll.scroll_y = 1

    def open_guides(self) -> None:
        """Show the guides of this question's category."""
        self.shell.nav.go("guide_list", key=self.category)

    def speech_text(self) -> str:
        """The question and its answer."""
        return sentences([self.question, self.answer])
