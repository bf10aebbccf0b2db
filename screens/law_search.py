"""Find an article: a law's button and the article number on the keypad, or a word."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import StringProperty

from kiosk.keypad import add_keypad
from screens.base import BaseScreen, _, ngettext, sentences
from screens.laws import article_gist, article_key, article_name, law_name

MAX_QUERY = 30


class LawSearchScreen(BaseScreen):
    """Query line, law and word buttons, digit keys, results as a list."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    query = StringProperty("")
    status = StringProperty("")

    def on_kv_post(self, base_widget: object) -> None:
        """Create the keys once: the terminal's keypad, with 第 … 条 beside the 0 for a
        number in any law."""
        add_keypad(self.ids.digits, self.type_key, left="第", right="条")

    def refresh(self) -> None:
        """Law and word buttons from the content, then results for the current query."""
        self.title = _("Find an article")
        laws = [law for law in self.library.content.laws if law.repealed is None]
        words = dict.fromkeys(word for topic in sorted(self.library.content.topics,
                                                       key=lambda t: (t.order, t.code))
                              for word in topic.keywords)
        # the law buttons type the law's Chinese name into the query, in either language
        for box, labels, action in ((self.ids.laws, [law.short_title or law.title
                                                     for law in laws],
                                     self.choose_law),
                                    (self.ids.words, list(words), self.set_query)):
            box.clear_widgets()
            for label in labels:
                chip = Factory.SuggestionButton(text=label)
                chip.bind(on_release=lambda _w, text=label, act=action: act(text))
                box.add_widget(chip)
        self.run_search()

    def choose_law(self, name: str) -> None:
        """Start the query with a law's name; the number follows on the keypad."""
        self.set_query(f"{name} ")

    def type_key(self, key: str) -> None:
        """Append a digit, 第 or 条."""
        if len(self.query) < MAX_QUERY:
            self.set_query(self.query + key)

    def backspace(self) -> None:
        """Delete the last character (a law's whole name at once)."""
        law, rest = self.library.laws.find_law(self.query)
        if law is not None and not rest:
            self.set_query("")
        else:
            self.set_query(self.query[:-1].rstrip() if self.query.endswith(" ")
                           else self.query[:-1])

    def clear(self) -> None:
        """Empty the query."""
        self.set_query("")

    def set_query(self, query: str) -> None:
        """Replace the query and search."""
        self.query = query
        self.run_search()

    def run_search(self) -> None:
        """Show the matching articles for the current query."""
        hits = self.library.laws.search(self.query) if self.query.strip() else []
        self.ids.results.data = [
            {"title": f"{law_name(hit.law)} {article_name(hit.article.number)}",
             "subtitle": article_gist(hit.article),
             "badge": "", "kind": "article", "key": article_key(hit.law.code, hit.article.number)}
            for hit in hits]
        self.ids.results.scroll_y = 1
        if not self.query.strip():
            self.status = _("Tap a law, then type the article number; "
                            "or 第 number 条 in every law; or tap a word.")
        elif hits:
            self.status = ngettext("{count} result", "{count} results", len(hits)).format(
                count=len(hits))
        else:
            self.status = _("No article found. Check the number, or try a word.")

    def reset(self) -> None:
        """Forget the last visitor's query."""
        self.query = ""

    def speech_text(self) -> str:
        """Title, the hint or count, and the first results."""
        return sentences([self.title, self.status,
                          *(row["title"] for row in self.ids.results.data[:5])])
