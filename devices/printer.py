"""Ticket printers: the Printer interface, python-escpos transports and a null printer (the
simulated printer is in devices.printer_simulated, the status poller in devices.printer_monitor).

A job opens the connection, sends the whole ticket in one write (encoded beforehand on a Dummy, so a
layout error never leaves half a ticket) and closes it, so a printer unplugged and plugged back in
works on the next ticket. python-escpos has no write timeout for files and serial ports, so each
job runs on a helper thread under a deadline; a job stuck past it marks the printer as not
responding until the stuck write returns.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from devices.checklist_layout import ChecklistPrint, write_checklist
from devices.status import DeviceError, DeviceState, DeviceStatus, StatusTracker
from devices.ticket_layout import MODES, TicketPrint, find_sc_face, write_ticket

logger = logging.getLogger(__name__)

DEVICE = "printer"
PAPER_WIDTH_DOTS = {58: 384, 80: 576}
DEFAULT_TIMEOUT = 10.0  # seconds for a transport to connect, read or write
DEADLINE_FACTOR = 3  # a whole job (connect, status, write) may take this many timeouts
FONT_CANDIDATES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                   "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
                   "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
                   "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
DLE_EOT_OFFLINE_CAUSE = b"\x10\x04\x02"
COVER_OPEN, ERROR_OCCURRED = 0x04, 0x40  # bits of the DLE EOT 2 reply
SIMULATED_FAULTS = {"ok": (DeviceState.OK, ""), "": (DeviceState.OK, ""),
                    "paper_near_end": (DeviceState.OK, "paper near end"),
                    "paper_out": (DeviceState.ERROR, "paper out"),
                    "cover_open": (DeviceState.ERROR, "cover open"),
                    "offline": (DeviceState.OFFLINE, "printer offline")}
Result = TypeVar("Result")
Printable = TicketPrint | ChecklistPrint  # what the ticket printer prints


class Printer(Protocol):
    """A ticket printer; print_ticket() blocks, so call it from a worker, never the UI thread."""

    @property
    def status(self) -> DeviceStatus:
        """The last known status."""

    def print_ticket(self, ticket: Printable) -> None:
        """Print one ticket (or checklist); raise DeviceError saying why when it could not be
        printed."""

    def refresh_status(self) -> DeviceStatus:
        """Ask the printer for its status now (blocking) and return it."""


@dataclass(frozen=True)
class TicketFormat:
    """How one printer's tickets are laid out and encoded."""

    width_dots: int
    mode: str = "bitmap"
    font_path: str | None = None
    font_index: int = 0
    profile: str | None = None  # python-escpos printer profile name, for cut support

    def encode(self, ticket: Printable) -> bytes:
        """The ticket's (or checklist's) complete ESC/POS byte stream."""
        from escpos.printer import Dummy  # the terminal extra: this module imports without it

        try:
            dummy = Dummy(profile=self.profile)
            if isinstance(ticket, ChecklistPrint):
                write_checklist(dummy, ticket, width_dots=self.width_dots, mode=self.mode,
                                font_path=self.font_path, font_index=self.font_index)
            else:
                write_ticket(dummy, ticket, width_dots=self.width_dots, mode=self.mode,
                             font_path=self.font_path, font_index=self.font_index)
        except Exception as error:  # Pillow, FreeType and python-escpos errors alike
            raise DeviceError(f"ticket layout failed: {error}") from error
        return bytes(dummy.output)


def ticket_format(paper_width_mm: int = 80, mode: str = "bitmap", font_path: str | None = None,
                  font_index: int | None = None, profile: str | None = None,
                  need_font: bool = False) -> TicketFormat:
    """Check the layout options and find the CJK font (needed for bitmap mode)."""
    if paper_width_mm not in PAPER_WIDTH_DOTS:
        raise DeviceError(f"paper_width_mm must be 58 or 80, not {paper_width_mm!r}")
    if mode not in MODES:
        raise DeviceError(f"unknown print mode {mode!r}; expected one of: {', '.join(MODES)}")
    if font_path and not Path(font_path).is_file():
        raise DeviceError(f"font_path {font_path!r} does not exist")
    path = font_path or next((p for p in FONT_CANDIDATES if Path(p).is_file()), None)
    if path is None and (mode == "bitmap" or need_font):
        raise DeviceError("no Chinese font for tickets (looked for " + ", ".join(FONT_CANDIDATES)
                          + "); install fonts-noto-cjk or set font_path")
    if profile is not None:
        from escpos.capabilities import get_profile

        try:
            get_profile(profile)
        except KeyError as error:
            raise DeviceError(f"unknown python-escpos printer profile {profile!r}") from error
    try:
        index = font_index if font_index is not None else (find_sc_face(path) if path else 0)
    except OSError as error:
        raise DeviceError(f"cannot read font {path}: {error}") from error
    return TicketFormat(PAPER_WIDTH_DOTS[paper_width_mm], mode, path, index, profile)


def read_status(escpos_printer: Any) -> tuple[DeviceState, str]:
    """Map a python-escpos printer's DLE EOT replies to a state and an English message."""
    try:
        online = escpos_printer.is_online()  # DLE EOT 1
        cause = bytes(escpos_printer.query_status(DLE_EOT_OFFLINE_CAUSE))
        paper = escpos_printer.paper_status()  # DLE EOT 4: 2 ok, 1 near end, 0 out
    except NotImplementedError:  # a transport that cannot read
        return DeviceState.OK, "status not reported over this connection"
    cause_bits = cause[0] if cause and cause[0] & 0x93 == 0x12 else 0  # fixed bits must match
    if cause_bits & COVER_OPEN:
        return DeviceState.ERROR, "cover open"
    if paper == 0:
        return DeviceState.ERROR, "paper out"
    if cause_bits & ERROR_OCCURRED:
        return DeviceState.ERROR, "printer error"
    if not online:
        return DeviceState.OFFLINE, "printer offline"
    return DeviceState.OK, "paper near end" if paper == 1 else ""


class _Refused(Exception):
    """The printer said no (paper out, cover open ...) or stopped answering."""

    def __init__(self, state: DeviceState, reason: str) -> None:
        super().__init__(reason)
        self.state, self.reason = state, reason


class _Busy(Exception):
    """Another job holds the printer."""


def _failure(error: BaseException) -> tuple[DeviceState, str]:
    """The state and message for an exception from a job."""
    from escpos.exceptions import DeviceNotFoundError

    if isinstance(error, _Refused):
        return error.state, error.reason
    cause = error.__context__ if isinstance(error, DeviceNotFoundError) else error
    if isinstance(cause, TimeoutError):
        return DeviceState.OFFLINE, "no response"
    if isinstance(cause, OSError):
        return DeviceState.OFFLINE, f"not connected: {cause.strerror or cause}"
    if isinstance(error, DeviceNotFoundError):
        return DeviceState.OFFLINE, "not connected: " + " ".join(str(error.msg).split())
    return DeviceState.ERROR, f"printing failed: {error}"


class NullPrinter:
    """The explicit "no printer configured" printer: remembers tickets, prints nothing."""

    def __init__(self, **options: object) -> None:
        self.printed: list[Printable] = []
        self.status = DeviceStatus(DEVICE, DeviceState.DISABLED, "no printer configured")
        logger.info("printer disabled: no printer configured")

    def print_ticket(self, ticket: Printable) -> None:
        """Record the ticket without printing it."""
        logger.info("printer disabled, not printing ticket %s", ticket.number)
        self.printed.append(ticket)
        del self.printed[:-100]

    def refresh_status(self) -> DeviceStatus:
        """Always disabled."""
        return self.status


class EscposPrinter:
    """A printer behind a python-escpos transport; connect() opens it afresh for each job."""

    def __init__(self, description: str, connect: Callable[[], Any], ticket_format: TicketFormat,
                 *, timeout: float = DEFAULT_TIMEOUT, status_check: bool = True,
                 missing: str | None = None) -> None:
        self.description, self.ticket_format = description, ticket_format
        self._connect, self._status_check, self._missing = connect, status_check, missing
        self._deadline = timeout * DEADLINE_FACTOR
        self._lock = threading.Lock()
        self._stalled: threading.Thread | None = None
        self._tracker = StatusTracker(DEVICE, logger, message="not checked yet")
        if missing:
            self._tracker.update(DeviceState.ERROR, missing)

    @property
    def status(self) -> DeviceStatus:
        """The last known status."""
        return self._tracker.current

    def print_ticket(self, ticket: Printable) -> None:
        """Encode the ticket, check the printer's status if enabled, send it in one write."""
        if self._missing:
            raise self._failed(DeviceState.ERROR, self._missing)
        try:
            data = self.ticket_format.encode(ticket)
        except DeviceError as error:
            raise self._failed(DeviceState.ERROR, str(error)) from error
        try:
            message = self._job(lambda printer: self._send(printer, data), wait=True)
        except _Busy as error:
            raise DeviceError(f"{self.description}: busy with another job") from error
        except Exception as error:  # socket, USB, serial and python-escpos errors alike
            raise self._failed(*_failure(error)) from error
        self._tracker.update(DeviceState.OK, message)

    def refresh_status(self) -> DeviceStatus:
        """Ask the printer for its status; skipped while another job holds it."""
        if self._missing:
            return self._tracker.current
        try:
            state, message = self._job(self._probe, wait=False)
        except _Busy:
            return self._tracker.current  # that job's outcome updates the status
        except Exception as error:  # as in print_ticket
            state, message = _failure(error)
        return self._tracker.update(state, message)

    def _probe(self, printer: Any) -> tuple[DeviceState, str]:
        return read_status(printer) if self._status_check else (DeviceState.OK, "")

    def _send(self, printer: Any, data: bytes) -> str:
        state, message = self._probe(printer)
        if state is not DeviceState.OK:
            raise _Refused(state, message)  # keep the ticket rather than lose it on no paper
        printer._raw(data)
        return message

    def _failed(self, state: DeviceState, message: str) -> DeviceError:
        self._tracker.update(state, message)
        return DeviceError(f"{self.description}: {message}")

    def _job(self, work: Callable[[Any], Result], wait: bool) -> Result:
        if self._stalled is not None and self._stalled.is_alive():
            raise _Refused(DeviceState.ERROR, "printer not responding: an earlier job is stuck")
        if not self._lock.acquire(timeout=self._deadline if wait else 0):
            raise _Busy()
        try:
            outcome: dict[str, Any] = {}
            worker = threading.Thread(target=self._run, args=(work, outcome), daemon=True,
                                      name="printer-job")
            worker.start()
            worker.join(self._deadline)
            if worker.is_alive():
                self._stalled = worker
                raise _Refused(DeviceState.ERROR,
                               f"printer not responding: no answer within {self._deadline:.0f} s")
            if "error" in outcome:
                raise outcome["error"]
            result: Result = outcome["value"]
            return result
        finally:
            self._lock.release()

    def _run(self, work: Callable[[Any], Any], outcome: dict[str, Any]) -> None:
        try:
            printer = self._connect()
            try:
                outcome["value"] = work(printer)
            finally:
                try:
                    printer.close()
                except Exception:  # closing after a failure must not hide that failure
                    logger.debug("closing %s failed", self.description, exc_info=True)
        except Exception as error:  # handed to the caller's thread
            outcome["error"] = error


class FilePrinter(EscposPrinter):
    """A printer device file such as /dev/usb/lp0; python-escpos cannot read status from it."""

    def __init__(self, path: str, ticket_format: TicketFormat, *,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        def connect() -> Any:
            from escpos.printer import File

            printer = File(path)
            printer.open()
            return printer

        super().__init__(f"file printer {path}", connect, ticket_format, timeout=timeout,
                         status_check=False)
        self.path = Path(path)

    def refresh_status(self) -> DeviceStatus:
        """A device file is there while the printer is plugged in; a plain file needs its folder."""
        plain_file_folder = self.path.parent.is_dir() and not self.path.is_relative_to("/dev")
        if self.path.exists() or plain_file_folder:
            return self._tracker.update(DeviceState.OK, "")
        return self._tracker.update(DeviceState.OFFLINE, f"not connected: {self.path} not found")


def _usb(ticket_format: TicketFormat, address: str, timeout: float = DEFAULT_TIMEOUT,
         in_ep: int = 0x82, out_ep: int = 0x01, status_check: bool = True) -> Printer:
    match = re.fullmatch(r"([0-9A-Fa-f]{4}):([0-9A-Fa-f]{4})", address.strip())
    if not match:
        raise DeviceError(f"USB printer address must be VID:PID in hex, like 0416:5011, "
                          f"not {address!r}")
    vendor, product = int(match[1], 16), int(match[2], 16)
    from escpos.printer import Usb, usb

    def connect() -> Any:
        printer = Usb(vendor, product, timeout=int(timeout * 1000), in_ep=in_ep, out_ep=out_ep)
        printer.open()
        return printer

    missing = None if usb.is_usable() else "pyusb is not installed; USB printing needs it"
    return EscposPrinter(f"USB printer {address}", connect, ticket_format, timeout=timeout,
                         status_check=status_check, missing=missing)


def _network(ticket_format: TicketFormat, address: str, timeout: float = DEFAULT_TIMEOUT,
             status_check: bool = True) -> Printer:
    host, _, port = address.strip().rpartition(":") if ":" in address else (address, "", "9100")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise DeviceError(f"network printer address must be host:port, not {address!r}")
    from escpos.printer import Network

    def connect() -> Any:
        printer = Network(host, int(port), timeout=timeout)
        # Connect here: python-escpos 3.1 leaks its socket when its own connect fails.
        printer.device = socket.create_connection((host, int(port)), timeout=timeout)
        return printer

    return EscposPrinter(f"network printer {host}:{port}", connect, ticket_format,
                         timeout=timeout, status_check=status_check)


def _serial(ticket_format: TicketFormat, address: str, baudrate: int = 9600,
            timeout: float = DEFAULT_TIMEOUT, status_check: bool = True) -> Printer:
    from escpos.printer import Serial, serial

    def connect() -> Any:
        printer = Serial(address, baudrate=baudrate, timeout=timeout)
        printer.open()
        return printer

    missing = None if serial.is_usable() else "pyserial is not installed; serial printing needs it"
    return EscposPrinter(f"serial printer {address}", connect, ticket_format, timeout=timeout,
                         status_check=status_check, missing=missing)


def _file(ticket_format: TicketFormat, address: str,
          timeout: float = DEFAULT_TIMEOUT) -> Printer:
    return FilePrinter(address, ticket_format, timeout=timeout)


def _simulated(ticket_format: TicketFormat, directory: str | Path) -> Printer:
    from devices.printer_simulated import SimulatedPrinter  # it builds on this module

    return SimulatedPrinter(directory, ticket_format)


PRINTERS: dict[str, Callable[..., Printer]] = {
    "usb": _usb, "network": _network, "serial": _serial, "file": _file, "simulated": _simulated}
LAYOUT_OPTIONS = ("paper_width_mm", "mode", "font_path", "font_index", "profile")


def make_printer(kind: str, **options: Any) -> Printer:
    """Build the printer named in the configuration; raise DeviceError on a bad configuration."""
    if kind == "null":
        return NullPrinter(**options)
    if kind not in PRINTERS:
        expected = ", ".join(sorted([*PRINTERS, "null"]))
        raise DeviceError(f"unknown printer kind {kind!r}; expected one of: {expected}")
    layout = {name: options.pop(name) for name in LAYOUT_OPTIONS if name in options}
    try:
        layout_format = ticket_format(**layout, need_font=kind == "simulated")
        return PRINTERS[kind](layout_format, **options)
    except TypeError as error:  # a misspelt or missing option in the configuration
        raise DeviceError(f"bad option for printer kind {kind!r}: {error}") from error
