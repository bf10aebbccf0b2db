"""The terminal's A4 printer behind CUPS (pycups): print a PDF file on a configured queue.

Before a job the queue's state is read, so a missing queue, a stopped printer or one out of
paper is a DeviceError at once (the visitor is offered the QR code instead) rather than a job
that waits in the spool for ever. The job is then followed until CUPS finishes it; one that
CUPS aborts or cancels is a DeviceError too. pycups calls block: use a worker thread.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from devices.status import DeviceError

log = logging.getLogger(__name__)

PRINTER_STOPPED = 5  # IPP printer-state
JOB_COMPLETED, JOB_DONE_STATES = 9, {7: "cancelled", 8: "aborted", 9: "completed"}
BLOCKING_REASONS = {"media-empty": "out of paper", "media-needed": "out of paper",
                    "media-jam": "paper jam", "input-tray-missing": "paper tray missing",
                    "door-open": "cover open", "offline": "offline",
                    "paused": "stopped"}

def blocking_reason(attributes: dict[str, Any]) -> str | None:
    """Why a queue cannot print now, from its CUPS attributes; None when it can."""
    reasons = attributes.get("printer-state-reasons") or []
    for reason in map(str, reasons):
        if reason.endswith("-warning"):
            continue  # "media-low-warning" and the like: it still prints
        base = reason.removesuffix("-error").removesuffix("-report")
        if base in BLOCKING_REASONS:
            return BLOCKING_REASONS[base]
    if attributes.get("printer-state") == PRINTER_STOPPED:
        message = attributes.get("printer-state-message") or ""
        return f"stopped{': ' + message if message else ''}"
    if attributes.get("printer-is-accepting-jobs") is False:
        return "not accepting jobs"
    return None


class CupsPrinter:
    """One CUPS queue; server is a host, host:port or a local socket path (None: the default)."""

    def __init__(self, queue: str, server: str | None = None, timeout: float = 60.0) -> None:
        self.queue, self.server, self.timeout = queue, server, timeout

    def _connect(self) -> Any:
        try:
            import cups
        except ImportError as error:
            raise DeviceError("pycups is not installed; A4 printing needs it") from error
        if self.server:
            cups.setServer(self.server)
        try:
            return cups.Connection()
        except RuntimeError as error:  # pycups' answer when cupsd cannot be reached
            raise DeviceError(f"A4 printer: CUPS not reachable ({error})") from error

    def check(self) -> None:
        """Raise DeviceError when the queue is missing or cannot print now."""
        self._check(self._connect())

    def _check(self, connection: Any) -> None:
        import cups

        try:
            attributes = connection.getPrinterAttributes(self.queue)
        except cups.IPPError as error:
            raise DeviceError(f"A4 printer queue {self.queue!r} not found") from error
        reason = blocking_reason(attributes)
        if reason:
            raise DeviceError(f"A4 printer {self.queue}: {reason}")

    def _purge(self, connection: Any, job: int) -> None:
        """Remove the job and its copy of the document from CUPS's spool: CUPS keeps both
        for a day by default, and the document holds the visitor's personal data."""
        try:
            connection.cancelJob(job, purge_job=True)
        except Exception as error:  # pycups raises IPPError; a purge failure is only logged
            log.error("A4 job %s: could not purge it from the spool: %s", job, error)

    def print_pdf(self, path: Path | str, title: str = "document") -> int:
        """Print the PDF file and wait until CUPS has finished it; return the job id."""
        import cups

        connection = self._connect()
        self._check(connection)
        try:
            job = connection.printFile(self.queue, str(path), title, {})
        except cups.IPPError as error:
            raise DeviceError(f"A4 printer {self.queue}: job refused ({error})") from error
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            state = connection.getJobAttributes(job).get("job-state", 0)
            if state in JOB_DONE_STATES:
                self._purge(connection, job)
                if state != JOB_COMPLETED:
                    raise DeviceError(f"A4 printer {self.queue}: job {job} "
                                      f"{JOB_DONE_STATES[state]}")
                log.info("A4 job %s printed on %s", job, self.queue)
                return int(job)
            time.sleep(0.1)
        self._purge(connection, job)  # nothing left printing half a document later
        raise DeviceError(f"A4 printer {self.queue}: job {job} not finished within "
                          f"{self.timeout:.0f} s; cancelled")
