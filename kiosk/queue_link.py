"""The app's link to the queue: services, taking and printing a ticket, the printer's status.

The network and the printer are used on worker threads only; results come back to
the UI thread through the Kivy clock. A ticket is printed only after the server
issued it, and a printing failure never loses it: the screen shows the ticket
with its QR code and says the printer is out of order.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec

from kivy.clock import Clock, mainthread

from devices.printer import Printer
from devices.printer_monitor import PrinterMonitor
from devices.status import DeviceError, DeviceState, DeviceStatus
from devices.ticket_layout import TicketPrint
from kiosk.config import TerminalConfig
from kiosk.connectivity import Connectivity
from kiosk.queue_client import QueueClient, TicketRefused
from kiosk.slips import ticket_words, with_language
from kiosk.state import AppState
from protocol.queue import ServicesReply, TicketIssued
from provisioning.client import ServerError

log = logging.getLogger(__name__)
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")
P = ParamSpec("P")


@dataclass
class IssuedTicket:
    """A ticket the server issued, and what became of printing it."""

    ticket: TicketIssued
    status_url: str
    printed: bool
    printer_message: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # monotonic seconds


def ui(function: Callable[..., None], *args: Any) -> None:
    """Call function(*args) on the UI thread."""
    Clock.schedule_once(lambda _dt: function(*args), 0)


class QueueLink:
    """Queue requests of this terminal, run off the UI thread."""

    def __init__(self, printer: Printer, state: AppState, link: Connectivity,
                 config: Callable[[], TerminalConfig]):
        self.printer, self.state, self.link, self.config = printer, state, link, config
        self.monitor: PrinterMonitor | None = None
        self._busy = threading.Lock()

    @property
    def queue(self) -> QueueClient | None:
        """The signed queue client, or None when this terminal is not enrolled."""
        client = self.link.client
        return QueueClient(client) if client is not None else None

    def start(self) -> None:
        """Watch the printer's status off the UI thread."""
        interval = float(self.config().printer.status_interval)
        self.monitor = PrinterMonitor(self.printer, self._printer_changed, interval)
        self.monitor.start()
        self._printer_changed(self.printer.status)

    def stop(self) -> None:
        """Stop watching the printer."""
        if self.monitor is not None:
            self.monitor.stop()

    def replace_printer(self, printer: Printer) -> None:
        """Use another printer from now on (new settings pushed by the server)."""
        self.stop()
        self.printer = printer
        self.start()

    def test_print(self) -> None:
        """Print a sample ticket (remote command); raise with the reason when it fails."""
        if self.printer.status.state == DeviceState.DISABLED:
            raise RuntimeError("no printer is configured on this terminal")
        self.printer.print_ticket(TicketPrint(
            hall="测试打印 Test print", service="测试", number="T000", people_ahead=0,
            wait_minutes=0, issued_at=dt.datetime.now(CHINA_TIME),
            status_url="https://12348.gov.cn"))
        self._printer_changed(self.printer.status)

    def _printer_changed(self, status: DeviceStatus) -> None:
        ui(self._show_printer, status)

    def _show_printer(self, status: DeviceStatus) -> None:
        self.state.printer_state = str(status.state)
        self.state.printer_message = status.message

    def load_services(self, on_done: Callable[[ServicesReply], None],
                      on_error: Callable[[str], None]) -> None:
        """Fetch the hall's services; on_done(reply) or on_error(reason) on the UI thread."""
        queue = self.queue
        if queue is None:
            on_error("not_enrolled")
            return

        def work() -> None:
            try:
                reply = queue.services()
            except ServerError as error:
                log.warning("could not load the queue services: %s", error)
                ui(on_error, "offline")
            else:
                ui(on_done, reply)

        threading.Thread(target=work, name="queue-services", daemon=True).start()

    def take_ticket(self, service: str, key: str, priority: str, appointment_code: str | None,
                    on_done: Callable[[IssuedTicket], None],
                    on_error: Callable[[str], None]) -> bool:
        """Take and print a ticket in the visitor's language (the one on the screen now);
        False (and nothing sent) while another one is under way."""
        queue, language = self.queue, self.state.language
        if queue is None:
            on_error("not_enrolled")
            return True
        if not self._busy.acquire(blocking=False):
            return False
        started = time.monotonic()

        def work() -> None:
            try:
                reply = queue.take_ticket(service, key, priority, appointment_code)
                result = self._print(queue, reply, started, language)
            except TicketRefused as refused:
                log.info("ticket refused: %s", refused)
                ui(on_error, refused.code)
            except ServerError as error:
                log.warning("no ticket: the server is unreachable (%s)", error)
                ui(on_error, "offline")
            else:
                ui(on_done, result)
            finally:
                self._busy.release()

        threading.Thread(target=work, name="queue-ticket", daemon=True).start()
        return True

    def _print(self, queue: QueueClient, reply: TicketIssued, started: float,
               language: str) -> IssuedTicket:
        issued = time.monotonic()
        # The phone page opens in the visitor's language; an English ticket names the service
        # in English with its Chinese name under it (the hall's staff and signs use that).
        status_url = with_language(f"{queue.client.server_url}/t/{reply.token}", language)
        english = language == "en" and bool(reply.service_name_en)
        ticket = TicketPrint(
            hall=reply.hall_name, service=reply.service_name_en if english else reply.service_name,
            service_note=reply.service_name if english else "",
            number=reply.number, people_ahead=reply.people_ahead,
            wait_minutes=reply.wait_minutes, status_url=status_url,
            issued_at=reply.issued_at.astimezone(CHINA_TIME), priority=str(reply.priority),
            windows=tuple(reply.service_windows), words=ticket_words(language))
        result = IssuedTicket(reply, status_url, printed=False,
                              timings={"tap": started, "issued": issued})
        if self.printer.status.state == DeviceState.DISABLED:
            result.printer_message = "none"
            return result
        try:
            self.printer.print_ticket(ticket)
        except DeviceError as error:
            log.error("ticket %s issued but not printed: %s", reply.number, error)
            result.printer_message = str(error)
        else:
            result.printed = True
        result.timings["printed"] = time.monotonic()
        self._printer_changed(self.printer.status)
        return result


def on_ui_thread_later(function: Callable[P, None]) -> Callable[P, None]:
    """Kivy's mainthread, typed: calling the result runs function on the UI thread."""
    wrapped: Callable[P, None] = mainthread(function)
    return wrapped
