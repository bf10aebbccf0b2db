"""请律师回电 (a call-back request for the 12348 hotline or the hall's lawyers): what it is
about, when the visitor can take a call, and the phone number; it becomes a case with a
code, queued in the outbox (also while the server cannot be reached)."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import StringProperty

from kiosk.keypad import add_keypad, keyed
from protocol.phone import normalize_phone
from screens.base import BaseScreen, _, sentences

PHONE_LENGTH = 13
TOPICS = ("labour", "family", "debt", "traffic", "housing", "other")
WINDOWS = ("today", "morning", "afternoon", "any")


def topic_name(key: str) -> str:
    """A call-back topic in the visitor's language."""
    return {"labour": _("Work and wages"), "family": _("Marriage and family"),
            "debt": _("Loans and debts"), "traffic": _("Traffic accident"),
            "housing": _("Housing and property"), "other": _("Something else")}[key]


def window_name(key: str) -> str:
    """A time to call in the visitor's language."""
    return {"today": _("Today"), "morning": _("Next working day, morning"),
            "afternoon": _("Next working day, afternoon"),
            "any": _("Any time on working days")}[key]


class CallbackScreen(BaseScreen):
    """Topic and time as large buttons, the number on a keypad, one button to send."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    topic = StringProperty("")
    window = StringProperty("")
    phone = StringProperty("")
    message = StringProperty("")
    problem = StringProperty("")  # what is missing, shown beside the send button

    def on_kv_post(self, _base: Any) -> None:
        """The keypad and the choice buttons."""
        add_keypad(self.ids.keypad, self.press)
        for key in TOPICS:
            button = Factory.LightButton()
            button.key = key
            button.bind(on_release=lambda _w, k=key: self._choose("topic", k))
            self.ids.topics.add_widget(button)
        for key in WINDOWS:
            button = Factory.LightButton()
            button.key = key
            button.bind(on_release=lambda _w, k=key: self._choose("window", k))
            self.ids.windows.add_widget(button)

    def refresh(self) -> None:
        """Texts in the current language; a question handed over is kept."""
        self.title = _("Lawyer call-back")
        self.message = _("Choose what it is about and when you can take a call, and enter "
                         "your phone number. A lawyer calls you back.")
        self._paint()

    def reset(self) -> None:
        """Forget the last visitor's choices and number."""
        self.topic = self.window = self.phone = self.problem = ""

    def _choose(self, field: str, key: str) -> None:
        setattr(self, field, key)
        self.problem = ""
        self._paint()

    def _paint(self) -> None:
        theme = self.shell.theme.color
        for grid, chosen, name in ((self.ids.topics, self.topic, topic_name),
                                   (self.ids.windows, self.window, window_name)):
            for button in grid.children:
                button.text = name(button.key)
                button.background = theme["selected"] if button.key == chosen \
                    else theme["surface"]

    def press(self, digit: str) -> None:
        """One digit, or 删除."""
        self.phone = keyed(self.phone, digit, PHONE_LENGTH)

    def submit(self) -> None:
        """Queue the request as a case and show its code."""
        if not self.topic:
            self._say(_("Please choose what it is about."))
            return
        if not self.window:
            self._say(_("Please choose when you can take a call."))
            return
        if not normalize_phone(self.phone):  # the one phone rule (protocol.phone)
            self._say(_("That is not a phone number. Enter a mobile number (11 digits) or a "
                        "landline with its area code."))
            return
        question = str(self.params.get("question") or "")[:200]
        topic = topic_name(self.topic)
        made = self.services.cases.submit(
            "callback", phone=self.phone, matter=topic,
            details={"question": question or topic, "window": window_name(self.window)})
        shown = "-".join(made.code[i:i + 4] for i in range(0, 12, 4))
        self.reset()
        self.shell.nav.go("feedback_done", case_url=made.url, message=_(
            "Sent. Your case code is {code}. A lawyer will call you back; check the progress "
            "with this code under Check progress.").format(code=shown))

    def _say(self, text: str) -> None:
        self.problem = text
        self.shell.speak(text)

    def speech_text(self) -> str:
        """The prompt and the choices."""
        return sentences([self.title, self.message])
