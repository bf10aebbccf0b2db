"""Polls a printer's status off the UI thread and reports each change once."""

from __future__ import annotations

import logging
import threading

from devices.printer import DEADLINE_FACTOR, DEFAULT_TIMEOUT, Printer
from devices.status import StatusListener

logger = logging.getLogger("devices.printer")


class PrinterMonitor:
    """Polls a printer's status every interval seconds on its own thread; reports changes."""

    def __init__(self, printer: Printer, on_change: StatusListener, interval: float = 5.0) -> None:
        self._printer, self._on_change, self._interval = printer, on_change, interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="printer-monitor", daemon=True)

    @property
    def running(self) -> bool:
        """Whether the polling thread is alive."""
        return self._thread.is_alive()

    def start(self) -> None:
        """Start polling; the first poll happens at once."""
        self._thread.start()

    def stop(self, timeout: float = DEFAULT_TIMEOUT * DEADLINE_FACTOR) -> bool:
        """Stop polling and wait for the thread; False if it was still in a poll at timeout."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        last = self._printer.status
        while not self._stopping.is_set():
            try:
                status = self._printer.refresh_status()
            except Exception:  # a printer bug must not end the polling
                logger.exception("printer status poll failed")
                status = last
            if status != last:
                last = status
                try:
                    self._on_change(status)
                except Exception:
                    logger.exception("printer status listener failed")
            self._stopping.wait(self._interval)
