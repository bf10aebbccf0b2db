"""The simulated ticket printer: real ESC/POS bytes and the picture decoded from them, written to
a folder, with faults (paper out, cover open ...) set by a control file or by tests."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

from devices.escpos_render import decode_escpos
from devices.printer import DEVICE, SIMULATED_FAULTS, Printable, TicketFormat
from devices.status import DeviceError, DeviceState, DeviceStatus, StatusTracker

logger = logging.getLogger("devices.printer")  # one log name for every printer


class SimulatedPrinter:
    """Writes ticket-<n>-<number>.bin (the ESC/POS bytes) and .png (decoded from them)."""

    def __init__(self, directory: Path | str, ticket_format: TicketFormat) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DeviceError(f"cannot create the simulated printer folder: {error}") from error
        self.control_file = self.directory / "status"  # "paper_out", "offline", "cover_open" ...
        self.ticket_format = ticket_format
        self.tickets: list[Path] = []  # the .bin files written, oldest first
        self._fault: str | None = None
        self._lock = threading.Lock()
        numbers = (path.name.split("-")[1] for path in self.directory.glob("ticket-*-*.bin"))
        self._count = max((int(n) for n in numbers if n.isdigit()), default=0)
        self._ok_message = f"simulated: tickets in {self.directory}"
        self._tracker = StatusTracker(DEVICE, logger, message=self._ok_message)
        self.refresh_status()

    @property
    def status(self) -> DeviceStatus:
        """The last known status."""
        return self._tracker.current

    def set_fault(self, fault: str | None) -> None:
        """Simulate a fault ("paper_out", "cover_open", ...); None goes back to the control file."""
        if fault is not None and fault not in SIMULATED_FAULTS:
            raise DeviceError(f"unknown simulated fault {fault!r}; expected one of: "
                              + ", ".join(name for name in SIMULATED_FAULTS if name))
        self._fault = fault
        self.refresh_status()

    def refresh_status(self) -> DeviceStatus:
        """Read the simulated fault now."""
        return self._tracker.update(*self._simulated_state())

    def print_ticket(self, ticket: Printable) -> None:
        """Write the ticket's bytes and their decoded picture, or raise the simulated fault."""
        with self._lock:
            state, message = self._simulated_state()
            if state is not DeviceState.OK:
                self._tracker.update(state, message)
                raise DeviceError(f"simulated printer: {message}")
            try:
                data = self.ticket_format.encode(ticket)
                paper = decode_escpos(data, self.ticket_format.width_dots,
                                      self.ticket_format.font_path, self.ticket_format.font_index)
                self._count += 1
                number = re.sub(r"[^0-9A-Za-z_-]", "_", ticket.number) or "ticket"
                path = self.directory / f"ticket-{self._count:04d}-{number}.bin"
                path.write_bytes(data)
                paper.image.save(path.with_suffix(".png"))
            except (DeviceError, OSError, ValueError) as error:
                self._tracker.update(DeviceState.ERROR, f"printing failed: {error}")
                raise DeviceError(f"simulated printer: printing failed: {error}") from error
            self.tickets.append(path)
            del self.tickets[:-1000]  # a demo can run for days
            self._tracker.update(DeviceState.OK, message)

    def _simulated_state(self) -> tuple[DeviceState, str]:
        if self._fault is not None:
            state, message = SIMULATED_FAULTS[self._fault]
            return state, message or self._ok_message
        try:
            fault = self.control_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            fault = ""
        except OSError as error:
            return DeviceState.ERROR, f"cannot read {self.control_file}: {error}"
        if fault not in SIMULATED_FAULTS:
            return DeviceState.ERROR, f"unknown simulated status {fault!r} in {self.control_file}"
        state, message = SIMULATED_FAULTS[fault]
        return state, message or self._ok_message
