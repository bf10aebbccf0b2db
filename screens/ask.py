"""Ask the terminal (智能咨询): a spoken or typed question, answered from the hall's content.

The visitor speaks (按住说话 / 点击说话, when the terminal has a listener) or types
pinyin on the on-screen keyboard and picks candidate characters. The answer shows as
a card: a short answer, the item it comes from, and buttons for the next step. When
no answer is confident the card says so and offers 12348, a ticket for 法律咨询 and
the search screen. A follow-up question keeps the previous answer for one turn.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty

from content.answers import Answer, AskContext, AskResult
from screens.answer_cards import Card, Step, answer_card, fallback_card
from screens.ask_talking import AskTalking
from screens.ask_typing import MAX_QUESTION, AskTyping
from screens.base import _, sentences

log = logging.getLogger(__name__)
SUGGESTIONS = 8
# Suggested questions until visitors have asked enough here: (question asked, msgid shown).
DEFAULT_QUESTIONS = (
    ("老板欠我工资不给怎么办", "My boss owes me wages. What can I do?"),
    ("家里人被抓了怎么办", "A family member was arrested. What can I do?"),
    ("怎么申请法律援助", "How do I apply for legal aid?"),
    ("离婚财产怎么分", "How is property divided in a divorce?"),
    ("邻居闹矛盾怎么调解", "How can a dispute with neighbours be mediated?"),
    ("被人打伤了怎么办", "I was injured by someone. What can I do?"),
    ("打官司要花多少钱", "How much does going to court cost?"),
    ("我要取号", "I want to take a queue number"),
)


class AskScreen(AskTyping, AskTalking):
    """The ask screen: question box, talk button, suggestions or the answer card, keyboard."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    status = StringProperty("")
    thinking = BooleanProperty(False)
    answered = BooleanProperty(False)
    heading = StringProperty("")
    body = StringProperty("")
    source = StringProperty("")
    fallback = BooleanProperty(False)
    hotline_shown = BooleanProperty(False)
    others = ListProperty([])
    shown = NumericProperty(0)  # answer cards shown so far (tests and the bench wait on it)
    result: AskResult | None = None
    context: AskContext | None = None  # the previous answer, for one follow-up question
    _asking = 0  # the number of the question being answered (older replies are dropped)
    _faulted = 0  # the number of a question the engine failed on (not counted unanswered)

    # Showing ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Texts in the current language; the answer shown again, or the suggestions."""
        self.title = _("Ask a question")
        self._show_question()
        self.can_listen = self.services.listener.available
        self.services.ime.start()
        if self.result is not None:
            self._show_result(self.result)
        else:
            self._show_suggestions()
            self._idle_status()
        self._show_candidates()

    def _idle_status(self) -> None:
        if self.can_listen:
            self.status = _("Hold the button and speak, or type pinyin below.")
        else:
            self.status = _("Type pinyin below and choose the characters, or tap a question.")

    def suggested(self) -> list[tuple[str, str]]:
        """(question asked, text shown): what visitors here ask most, then the defaults."""
        english = self.shell.state.language == "en"
        asked = [(q, q) for q in self.services.asked.top(SUGGESTIONS)
                 if not english or q.isascii()]
        seen = {q for q, _t in asked}
        defaults = [(q, _(msgid) if english else q) for q, msgid in DEFAULT_QUESTIONS
                    if q not in seen]
        return (asked + defaults)[:SUGGESTIONS]

    def _show_suggestions(self) -> None:
        """The suggested questions; the card's buttons go (hidden widgets would still
        take touches where they lie)."""
        self.answered = False
        for name in ("steps", "others"):
            self.ids[name].clear_widgets()
        box = self.ids.suggestions
        box.clear_widgets()
        for question, text in self.suggested():
            button = Factory.SuggestedQuestion(text=text)
            button.bind(on_release=lambda _w, q=question: self.ask(q))
            box.add_widget(button)

    # Answering ---------------------------------------------------------------------------
    def ask(self, question: str, via: str = "typed") -> None:
        """Answer a question off the UI thread; the card shows when the answer is ready."""
        question = question.strip()[:MAX_QUESTION]
        if not question:
            self.status = _("Please type or say a question first.")
            return
        self.typed, self.pinyin = question, ""
        self._show_candidates()
        self._asking += 1
        number, context, library = self._asking, self.context, self.library
        self.thinking = True
        self.status = _("Looking for the answer…")

        def answer() -> AskResult:
            try:
                return library.ask(question, context)
            except Exception:  # an engine fault must not leave the visitor waiting
                log.exception("answering %r failed", question)
                self._faulted = number  # a fault is not a question the content lacks
                return AskResult(question, [], True, [], ())

        if self.services.warm_library is library:
            # a warm engine answers in about a millisecond: show the card in this frame
            self._answered(number, answer(), via)
            return

        def work() -> None:
            result = answer()
            self.services.warm_library = library
            Clock.schedule_once(lambda _dt: self._answered(number, result, via), 0)

        threading.Thread(target=work, name="ask", daemon=True).start()

    def _answered(self, number: int, result: AskResult, via: str) -> None:
        if number != self._asking or self.shell.nav.current != self.name:
            return  # a newer question, or the visitor left
        self.thinking = False
        self.result, self.context = result, result.context
        top = result.answers[0] if result.answers else None
        self.services.usage.record("usage.ask", {
            "answer": top.id if top else "", "fallback": result.fallback, "via": via,
            "language": self.shell.state.language})
        if top is not None and not result.fallback:
            self.services.asked.record(result.question, top.id)
        elif self._faulted != number:  # 需求研判: what visitors ask that the content lacks
            self.services.usage.unanswered(result, self.shell.state.language)
        self._show_result(result)
        if self.shell.state.read_aloud:
            self.shell.speak(self.speech_text())

    def _show_result(self, result: AskResult) -> None:
        card = self.card(result.answers[0]) if result.answers and not result.fallback \
            else self.fallback_card()
        self.ids.suggestions.clear_widgets()
        self.answered, self.fallback, self.hotline_shown = True, card.fallback, False
        self.heading, self.body, self.source = card.heading, card.body, card.source
        self.status = _("You asked: {question}").format(question=result.question)
        box = self.ids.steps
        box.clear_widgets()
        for step in card.steps:
            button = Factory.KButton(text=step.label) if step is card.steps[0] \
                else Factory.LightButton(text=step.label)
            button.bind(on_release=lambda _w, s=step: self.do(s))
            box.add_widget(button)
        self.others = [] if result.fallback else [
            {"text": self.card(a).heading, "index": i}
            for i, a in enumerate(result.answers[1:], start=1)]
        others = self.ids.others
        others.clear_widgets()
        for other in self.others:
            row = Factory.OtherAnswer(text=other["text"])
            row.bind(on_release=lambda _w, i=other["index"]: self.show_other(i))
            others.add_widget(row)
        self.ids.answer_scroll.scroll_y = 1
        self.shown += 1

    def show_other(self, index: int) -> None:
        """Show another of the answers found (it becomes the one a follow-up refers to)."""
        if self.result is None:
            return
        answers = list(self.result.answers)
        answers.insert(0, answers.pop(index))
        self.result = AskResult(self.result.question, answers, False)
        self.context = self.result.context
        self._show_result(self.result)

    def new_question(self) -> None:
        """Back to the suggestions with an empty question (the context stays one turn)."""
        self.result = None
        self._show_suggestions()
        self.clear()
        self._idle_status()

    # The card ---------------------------------------------------------------------------
    def card(self, answer: Answer) -> Card:
        """The card for a confident answer."""
        return answer_card(self.library, answer, self.services.config.terminal.hotline)

    def fallback_card(self) -> Card:
        """The card when no answer is confident."""
        return fallback_card(self.services.config.terminal.hotline)

    def do(self, step: Step) -> None:
        """Carry out a next-step button."""
        nav = self.shell.nav
        if step.action == "open":
            self.shell.open_item(step.arg, step.key)
        elif step.action == "ticket":
            nav.go("ticket", want=step.arg)
        elif step.action == "go":
            nav.go(step.arg)
        elif step.action == "callback":  # the question goes with the call-back request
            nav.go("callback", question=self.typed)
        elif step.action == "search":
            nav.go("search")
        elif step.action == "call":
            self.hotline_shown = True
            text = _("Call {hotline}, the public legal service hotline (24 hours).").format(
                hotline=self.services.config.terminal.hotline)
            self.ids.hotline.text = text
            self.shell.speak(text)

    # Session ---------------------------------------------------------------------------
    def on_leave(self, *_args: Any) -> None:
        """Stop listening when the visitor moves on."""
        super().on_leave()
        if self.listening:
            self.services.listener.cancel()
            self.listening = False

    def reset(self) -> None:
        """Forget the question, the answer and its context."""
        self.result = self.context = None
        self.answered = self.thinking = self.listening = False
        self.typed = self.pinyin = ""
        self.candidates = []
        for name in ("candidates", "steps", "others", "suggestions"):
            self.ids[name].clear_widgets()

    def speech_text(self) -> str:
        """The answer card (heading, short answer, source), or the prompt."""
        if self.answered:
            return sentences([self.heading, self.body, self.source])
        return sentences([self.title, self.status])
