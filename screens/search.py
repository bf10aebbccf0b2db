"""Search with an on-screen letter keyboard: pinyin initials, full pinyin, words."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import ListProperty, StringProperty

from kiosk.widgets import add_keys
from screens.base import BaseScreen, _, localized, ngettext, sentences

MAX_QUERY = 24
KIND_LABELS = {"guide": "Guide", "faq": "Question", "point": "Service point",
               "category": "Category", "online": "Online service", "flow": "Self-check"}


class SearchScreen(BaseScreen):
    """Live results across guides, FAQ, points and more while the visitor types."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    query = StringProperty("")
    status = StringProperty("")
    suggestions = ListProperty([])

    def on_kv_post(self, base_widget: object) -> None:
        """Create the letter keys once."""
        for container, keys in ((self.ids.keyboard, self.ids.keyboard.keys),
                                (self.ids.digits, "1234567890")):
            add_keys(container, keys, self.type_key)

    def refresh(self) -> None:
        """Suggestion chips from the categories, and results for the current query."""
        self.title = _("Search")
        self.suggestions = [localized(c, "name") for c in self.library.categories()][:6]
        box = self.ids.suggestions
        box.clear_widgets()
        for word in self.suggestions:
            chip = Factory.SuggestionButton(text=word)
            chip.bind(on_release=lambda _w, text=word: self.set_query(text))
            box.add_widget(chip)
        self.run_search()

    def type_key(self, key: str) -> None:
        """Append a letter or digit."""
        if len(self.query) < MAX_QUERY:
            self.set_query(self.query + key)

    def backspace(self) -> None:
        """Delete the last character."""
        self.set_query(self.query[:-1])

    def clear(self) -> None:
        """Empty the query."""
        self.set_query("")

    def set_query(self, query: str) -> None:
        """Replace the query and search."""
        self.query = query
        self.run_search()

    def run_search(self) -> None:
        """Show the ranked results for the current query."""
        english = self.shell.state.language == "en"
        hits = self.library.index.search(
            self.query, language=self.shell.state.language) if self.query else []
        self.ids.results.data = [
            {"title": (hit.title_en if english and hit.title_en else hit.title),
             "subtitle": (hit.subtitle_en if english and hit.subtitle_en else hit.subtitle),
             "kind": hit.kind, "key": hit.key,
             "badge": _(KIND_LABELS.get(hit.kind, hit.kind))}
            for hit in hits
        ]
        self.ids.results.scroll_y = 1
        if not self.query:
            self.status = _("Type pinyin initials, e.g. FLYZ for 法律援助") if not english \
                else _("Type an English word, e.g. divorce or wages")
        elif hits:
            self.status = ngettext("{count} result", "{count} results", len(hits)).format(
                count=len(hits))
        else:
            self.status = _("Nothing found. Try another word, or call {hotline}.").format(
                hotline=self.services.config.terminal.hotline) if english else _(
                "Nothing found. Try fewer letters, or call {hotline}.").format(
                hotline=self.services.config.terminal.hotline)

    def on_leave(self, *_args: object) -> None:
        """Count the search the visitor ended with (需求研判: what people look for, and
        what found nothing); no personal data, only the letters and the number of hits."""
        super().on_leave()
        if self.query:
            self.services.usage.record("usage.search", {
                "query": self.query, "results": len(self.ids.results.data),
                "language": self.shell.state.language})

    def reset(self) -> None:
        """Forget the query."""
        self.query = ""
        self.ids.results.data = []

    def speech_text(self) -> str:
        """The status line and the first results."""
        return sentences([self.status, *(r["title"] for r in self.ids.results.data[:5])])
