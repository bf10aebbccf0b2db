"""The ticket: number, people ahead, estimated wait, a QR code to follow it, the printer's word."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.queue_link import IssuedTicket
from screens.base import BaseScreen, _, sentences
from screens.online import render_codes_then
from screens.ticket import where_text


class TicketDoneScreen(BaseScreen):
    """Shows the issued ticket whether or not it was printed."""

    number = StringProperty("")
    service_name = StringProperty("")
    where = StringProperty("")
    ahead = StringProperty("")
    wait = StringProperty("")
    printer = StringProperty("")
    printer_ok = StringProperty("yes")
    url = StringProperty("")
    code = StringProperty("")

    def refresh(self) -> None:
        """Show the ticket given as the `ticket` parameter (a QueueLink IssuedTicket)."""
        issued: IssuedTicket = self.params["ticket"]
        ticket = issued.ticket
        self.title = _("Your number")
        self.number = ticket.number
        english = self.shell.state.language == "en" and ticket.service_name_en
        self.service_name = ticket.service_name_en if english else ticket.service_name
        self.where = where_text(ticket.service_windows)
        self.ahead = _("{count} people ahead of you").format(count=ticket.people_ahead)
        self.wait = _("Estimated wait about {minutes} minutes").format(
            minutes=ticket.wait_minutes) if ticket.people_ahead else _("Please wait to be "
                                                                       "called")
        if issued.printed:
            self.printer, self.printer_ok = _("Please take your ticket"), "yes"
        elif issued.printer_message == "none":
            self.printer, self.printer_ok = _("This terminal prints no tickets. Scan the code "
                                              "to follow the queue on your phone."), "yes"
        else:
            self.printer, self.printer_ok = _(
                "The printer is out of order. Please remember your number or scan the code to "
                "follow the queue on your phone."), "no"
        if issued.status_url != self.url:
            self.url, self.code = issued.status_url, ""
            render_codes_then([issued.status_url], lambda: self._code_ready(issued.status_url))

    def _code_ready(self, url: str) -> None:
        if url == self.url:
            self.code = url

    def speech_text(self) -> str:
        """Number (letter by letter), service, queue position and the printer's message."""
        spoken_number = " ".join(self.number)
        return sentences([_("Your number is {number}").format(number=spoken_number),
                          self.service_name, self.where, self.ahead, self.wait, self.printer])
