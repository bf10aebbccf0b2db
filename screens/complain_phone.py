"""投诉建议, step two: an optional phone number for the call back, on a numeric keypad."""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from kiosk.keypad import add_keypad, keyed
from protocol.phone import group_phone, normalize_phone
from screens.base import BaseScreen, _, sentences
from screens.complain import category_name

PHONE_LENGTH = 12  # the longest number: a 4-digit area code and 8 digits


class ComplainPhoneScreen(BaseScreen):
    """An optional phone number for the call back, on a numeric keypad."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    phone = StringProperty("")  # the digits typed
    shown = StringProperty("")  # grouped for checking: 138 1234 5678, 010 1234 5678
    message = StringProperty("")
    category = StringProperty("")

    def on_kv_post(self, _base: Any) -> None:
        """The keypad."""
        add_keypad(self.ids.keypad, self.press)

    def on_phone(self, _instance: Any, phone: str) -> None:
        """Show the number grouped as it is typed."""
        self.shown = group_phone(phone)

    def refresh(self) -> None:
        """What the complaint is about and the prompt."""
        self.title = _("Call back")
        self.category = category_name(self.params["category"])
        self.message = _("Leave a phone number and the hall will call you back within the "
                         "time limit. You may also submit without a number.")

    def reset(self) -> None:
        """Forget the last visitor's number."""
        self.phone = ""

    def press(self, digit: str) -> None:
        """One digit, or 删除."""
        self.phone = keyed(self.phone, digit, PHONE_LENGTH)

    def submit(self, with_phone: bool = True) -> None:
        """Queue the complaint (with the number, if it is one) and thank the visitor."""
        phone = normalize_phone(self.phone) if with_phone else ""
        if phone is None:
            self.message = _("That is not a phone number. Enter a mobile number (11 digits) "
                             "or a landline with its area code.")
            self.shell.speak(self.message)
            return
        if with_phone and not phone:  # nothing typed
            self.message = _("Enter a phone number, or submit without a number.")
            self.shell.speak(self.message)
            return
        self.services.feedback.complain(self.params["category"], phone)
        self.phone = ""
        self.shell.nav.go("feedback_done", message=_(
            "Thank you! The hall will handle it within the time limit."))

    def speech_text(self) -> str:
        """The category and the prompt."""
        return sentences([self.title, self.category, self.message])
