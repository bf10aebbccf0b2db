"""Confirm the ticket: service, 绿色通道 or appointment code, then one press takes and prints it."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from kiosk.keypad import add_keypad, keyed
from kiosk.queue_client import new_request_key
from screens.base import BaseScreen, _, sentences
from screens.ticket import refusal_text, where_text

CODE_LENGTH = (10, 10)  # a booking code: 10 digits (server.appointments)


class TicketConfirmScreen(BaseScreen):
    """One big 确认取号 button; while the ticket is issued and printed, a printing animation."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    service_name = StringProperty("")
    priority_text = StringProperty("")
    where = StringProperty("")
    queue_text = StringProperty("")  # people waiting and the estimated wait, when known
    message = StringProperty("")
    code = StringProperty("")
    appointment = BooleanProperty(False)
    busy = BooleanProperty(False)
    dots = StringProperty("")
    _key = ""

    def on_kv_post(self, _base: Any) -> None:
        """Build the keypad once."""
        add_keypad(self.ids.digits, self.press)

    def refresh(self) -> None:
        """Show the chosen service; a new visitor request gets a new idempotency key."""
        self.title = _("Confirm your ticket")
        self.service_name = self.params.get("service_name", "")
        self.priority_text = _("Green channel") if self.params.get("priority") == "green" else ""
        self.where = where_text(list(self.params.get("windows") or []))
        waiting = self.params.get("waiting")
        self.queue_text = "" if waiting is None else _(
            "{count} waiting · about {minutes} min").format(
            count=waiting, minutes=self.params.get("wait_minutes", 0))
        if not self.busy:
            self.message = _("If you miss your call the number is void; please take a new one")
            self._key = new_request_key()

    def reset(self) -> None:
        """Clear the code and the options."""
        self.code, self.appointment, self.busy = "", False, False

    def press(self, digit: str) -> None:
        """A digit of the appointment code, or 删除."""
        self.code = keyed(self.code, digit, CODE_LENGTH[1])

    def confirm(self) -> None:
        """Take the ticket (a second press while it is under way does nothing)."""
        if self.busy:
            return
        priority = self.params.get("priority", "normal")
        code = None
        if self.appointment:
            if not CODE_LENGTH[0] <= len(self.code) <= CODE_LENGTH[1]:
                self.message = refusal_text("bad_appointment", self._hotline)
                return
            priority, code = "appointment", self.code
        if self.services.queue.take_ticket(self.params["service"], self._key, priority, code,
                                      self._done, self._failed):
            self.busy = True
            self.message = _("Printing your ticket…")
            Clock.schedule_interval(self._animate, 0.4)

    @property
    def _hotline(self) -> str:
        return str(self.services.config.terminal.hotline)

    def _animate(self, _dt: float) -> bool:
        self.dots = "●" * (len(self.dots) % 3 + 1) if self.busy else ""
        return bool(self.busy)

    def _done(self, issued: Any) -> None:
        self.busy, self.dots = False, ""
        self._key = new_request_key()  # the next press is a new request
        self.code, self.appointment = "", False  # the booking code is used: not shown again
        self.shell.nav.go("ticket_done", ticket=issued)

    def _failed(self, code: str) -> None:
        self.busy, self.dots = False, ""
        self.message = refusal_text(code, self._hotline)
        self.shell.speak(self.message)

    def speech_text(self) -> str:
        """Service, option and the instruction."""
        return sentences([self.title, self.service_name, self.where, self.queue_text,
                          self.priority_text,
                          self.message])
