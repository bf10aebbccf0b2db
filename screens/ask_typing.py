"""The ask screen's typed question: pinyin letters from the on-screen keyboard, the
candidate bar to choose characters from, and the question box that shows both.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import StringProperty

from content.ime import Candidate
from kiosk.widgets import add_keys
from screens.base import BaseScreen, _

MAX_QUESTION = 60  # characters typed or heard; longer speech is cut
CANDIDATES = 24  # shown at once in the candidate bar


class AskTyping(BaseScreen):
    """The question typed in pinyin (the ask screen's part: it asks with self.ask)."""

    typed = StringProperty("")  # characters chosen so far
    pinyin = StringProperty("")  # letters not yet turned into characters
    display = StringProperty("")  # the question box: characters, then the letters underlined
    candidates: list[Candidate]

    def on_kv_post(self, base_widget: object) -> None:
        """Create the letter keys once."""
        add_keys(self.ids.keyboard, [k.lower() for k in self.ids.keyboard.keys], self.type_key)
        self.candidates = []

    def on_typed(self, *_args: Any) -> None:
        """Show the question as it changes."""
        self._show_question()

    def on_pinyin(self, *_args: Any) -> None:
        """Show the letters being converted as they change."""
        self._show_question()

    def _show_question(self) -> None:
        typed = str(self.typed).replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")
        letters = f"[u][color=#0A4A85]{self.pinyin}[/color][/u]" if self.pinyin else ""
        self.display = (typed + letters) or _("Your question appears here")

    @property
    def question(self) -> str:
        """The question as typed so far (characters, then letters not yet converted)."""
        return str(self.typed) + str(self.pinyin)

    def type_key(self, key: str) -> None:
        """A letter on the keyboard: it joins the pinyin being converted."""
        if len(self.question) < MAX_QUESTION:
            self.pinyin += key
            self._show_candidates()

    def separator(self) -> None:
        """The syllable separator (xi'an)."""
        if self.pinyin and not self.pinyin.endswith("'"):
            self.type_key("'")

    def space(self) -> None:
        """Commit the first candidate (Chinese) or the letters and a space (English)."""
        if not self.pinyin:
            if self.typed and not self.typed.endswith(" "):
                self.typed += " "
            return
        if self.shell.state.language == "en" or not self.candidates:
            self.typed, self.pinyin = self.typed + self.pinyin.replace("'", "") + " ", ""
            self._show_candidates()
        else:
            self.choose(self.candidates[0])

    def choose(self, candidate: Candidate) -> None:
        """Put a candidate into the question; its letters leave the pinyin."""
        self.typed += candidate.text
        self.pinyin = self.pinyin[candidate.consumed:].lstrip("'")
        self._show_candidates()

    def backspace(self) -> None:
        """Delete the last letter, or else the last character."""
        if self.pinyin:
            self.pinyin = self.pinyin[:-1]
        else:
            self.typed = self.typed[:-1]
        self._show_candidates()

    def clear(self) -> None:
        """Empty the question."""
        self.typed = self.pinyin = ""
        self._show_candidates()

    def _show_candidates(self) -> None:
        """The candidate bar for the letters typed (the IME is built in the background)."""
        box = self.ids.candidates
        box.clear_widgets()
        self.candidates = []
        if not self.pinyin:
            return
        ime = self.services.ime.ready
        if ime is None:
            self.status = _("The pinyin input is starting, one moment…")
            Clock.schedule_once(lambda _dt: self._show_candidates() if self.pinyin else None,
                                0.3)
            return
        self.candidates = ime.candidates(self.pinyin, CANDIDATES)
        letters = Candidate(self.pinyin.replace("'", ""), len(self.pinyin))
        if self.shell.state.language == "en":
            self.candidates.insert(0, letters)
        else:
            self.candidates.append(letters)
        for candidate in self.candidates:
            button = Factory.CandidateButton(text=candidate.text)
            button.bind(on_release=lambda _w, c=candidate: self.choose(c))
            box.add_widget(button)
        self.ids.candidate_scroll.scroll_x = 0

    def submit(self) -> None:
        """Ask what is typed (letters not converted go as they are)."""
        if self.pinyin and self.candidates and self.shell.state.language != "en":
            self.choose(self.candidates[0])
        self.ask(self.question.strip())
