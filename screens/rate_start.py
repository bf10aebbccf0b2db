"""评价服务 on a query terminal: the number of a finished ticket of today, or the hall."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from kiosk.feedback import TICKET_NUMBER
from kiosk.keypad import DELETE, add_keypad
from kiosk.widgets import add_keys
from protocol.feedback import TicketToRate
from protocol.queue import ServicesReply
from screens.base import BaseScreen, _, sentences

DEFAULT_PREFIXES = "ABCDEF"
REFUSALS = {
    "unknown_ticket": "No ticket with this number today. Please check the number on your "
                      "ticket.",
    "not_finished": "This ticket has not been finished yet. You can rate it once your "
                    "service is done.",
    "already_rated": "This ticket has already been rated. Thank you!",
}


class RateStartScreen(BaseScreen):
    """Letters of the hall's services and digits; 核对 checks the number with the server."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    number = StringProperty("")
    message = StringProperty("")
    busy = BooleanProperty(False)

    def on_kv_post(self, _base: Any) -> None:
        """The digit keys never change: the terminal's keypad, 删除 at the bottom right."""
        add_keypad(self.ids.digits, self.press)

    def refresh(self) -> None:
        """Prompt, and the letters of the hall's services when the server tells them."""
        self.title = _("Rate a service")
        if not self.busy:
            self.message = _("Enter the number on your ticket, e.g. A012")
        self._letters(DEFAULT_PREFIXES)
        self.services.queue.load_services(self._services, lambda _reason: None)

    def _services(self, reply: ServicesReply) -> None:
        prefixes = sorted({s.prefix[:1] for s in reply.services if s.prefix})
        if prefixes:
            self._letters("".join(prefixes))

    def _letters(self, letters: str) -> None:
        grid = self.ids.letters
        if [w.text for w in reversed(grid.children)] != list(letters):
            grid.clear_widgets()
            add_keys(grid, letters, self.press)

    def reset(self) -> None:
        """Forget the last visitor's number."""
        self.number, self.busy = "", False

    def press(self, key: str) -> None:
        """A letter or a digit of the ticket number, or 删除."""
        if key == DELETE:
            self.erase()
        elif len(self.number) < 6 and not self.busy:
            self.number += key

    def erase(self) -> None:
        """Remove the last character."""
        self.number = self.number[:-1]

    def check(self) -> None:
        """Ask the server whether the ticket can be rated, then show the faces."""
        if self.busy:
            return
        if not TICKET_NUMBER.match(self.number):
            self.message = _("Enter the number on your ticket, e.g. A012")
            self.shell.speak(self.message)
            return
        self.busy = True
        self.message = _("Checking the number…")
        self.services.feedback.check_ticket(self.number, self._ok, self._refused, self._offline)

    def _ok(self, ticket: TicketToRate) -> None:
        self.busy = False
        self.number = ""
        self.shell.nav.go("rate", ticket=ticket.ticket, number=ticket.number,
                        window=ticket.window, source="terminal")

    def _refused(self, code: str) -> None:
        self.busy = False
        self.message = _(REFUSALS.get(code, "This ticket cannot be rated."))
        self.shell.speak(self.message)

    def _offline(self) -> None:
        # The rating goes through the outbox; the server checks the number when it arrives.
        self.busy = False
        number, self.number = self.number, ""
        self.shell.nav.go("rate", number=number, source="terminal")

    def rate_hall(self) -> None:
        """Rate the hall in general, without a ticket."""
        self.shell.nav.go("rate", source="terminal")

    def speech_text(self) -> str:
        """Title and instruction."""
        return sentences([self.title, self.message])
