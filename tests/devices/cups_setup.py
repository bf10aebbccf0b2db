"""A private CUPS daemon for tests: its own config, spool and socket in a temporary folder.

Two queues: a cups-pdf printer (Debian's printer-driver-cups-pdf, the usual virtual PDF
printer) and a file-device queue that takes PDF as it is (like a printer that accepts PDF
natively). cups-pdf needs its configuration in /etc/cups/cups-pdf-<instance>.conf; the test
writes a uniquely named one and removes it afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CUPSD = "/usr/sbin/cupsd"
CUPS_PDF_BACKEND = Path("/usr/lib/cups/backend/cups-pdf")
CUPS_PDF_PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd")
SETUP_HINT = ("needs Debian's cups and printer-driver-cups-pdf (make system) and root "
              "(the cups-pdf backend runs as root)")


@dataclass(frozen=True)
class PrivateCups:
    """Where the private daemon listens and where its queues put their output."""

    socket: str
    out: Path  # cups-pdf's output folder
    file_output: Path  # the file-device queue's output file
    spool: Path  # where CUPS keeps jobs and their documents
    cups_pdf_queue: str = "hall-a4-cupspdf"
    file_queue: str = "hall-a4-file"


def missing() -> str | None:
    """Why a private CUPS cannot start here, or None."""
    if not (Path(CUPSD).exists() and CUPS_PDF_BACKEND.exists() and CUPS_PDF_PPD.exists()):
        return SETUP_HINT
    if os.geteuid() != 0:
        return SETUP_HINT
    return None


@contextmanager
def temporary_cups() -> Iterator[PrivateCups]:
    """private_cups() in a new folder (not under pytest's own 0700 one: CUPS runs its filters
    as the unprivileged user lp); a test fails, not skips, where CUPS cannot run."""
    import pytest

    reason = missing()
    if reason:
        pytest.fail(f"a real CUPS is needed: {reason}")
    root = Path(tempfile.mkdtemp(prefix="hallkiosk-cups-"))
    root.chmod(0o755)
    try:
        with private_cups(root) as setup:
            yield setup
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def private_cups(root: Path) -> Iterator[PrivateCups]:
    """Start cupsd in root, add the two queues, stop it and remove its traces afterwards."""
    import cups

    etc, spool, out = root / "etc", root / "spool", root / "out"
    for folder in (etc / "ppd", spool / "tmp", root / "cache", root / "state", root / "log",
                   out):
        folder.mkdir(parents=True, exist_ok=True)
    out.chmod(0o777)
    socket = str(root / "cups.sock")
    (etc / "cupsd.conf").write_text(f"""LogLevel warn
Listen {socket}
WebInterface No
Browsing No
DefaultAuthType None
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
""")
    (etc / "cups-files.conf").write_text(f"""ServerRoot {etc}
RequestRoot {spool}
TempDir {spool / "tmp"}
CacheDir {root / "cache"}
StateDir {root / "state"}
AccessLog {root / "log" / "access_log"}
ErrorLog {root / "log" / "error_log"}
PageLog {root / "log" / "page_log"}
SystemGroup root
FileDevice Yes
""")
    instance = f"hallkiosk{uuid.uuid4().hex[:8]}"
    instance_conf = Path(f"/etc/cups/cups-pdf-{instance}.conf")
    instance_conf.write_text(f"Out {out}\nAnonDirName {out}\nLabel 0\n")
    # A PPD for a printer that takes PDF as it is: CUPS's pdftopdf, then the file.
    pdf_ppd = root / "pdf-in.ppd"
    pdf_ppd.write_text(CUPS_PDF_PPD.read_text("latin-1").replace(
        '*ModelName:', '*cupsFilter2: "application/vnd.cups-pdf application/pdf 0 -"\n'
        '*ModelName:', 1), "latin-1")
    daemon = subprocess.Popen([CUPSD, "-f", "-c", str(etc / "cupsd.conf"),
                               "-s", str(etc / "cups-files.conf")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while not Path(socket).exists():
            if daemon.poll() is not None or time.monotonic() > deadline:
                log = (root / "log" / "error_log")
                raise RuntimeError("cupsd did not start: "
                                   + (log.read_text() if log.exists() else "no log"))
            time.sleep(0.05)
        cups.setServer(socket)
        connection = cups.Connection()
        setup = PrivateCups(socket, out, out / "file-queue.pdf", spool)
        connection.addPrinter(setup.cups_pdf_queue, device=f"cups-pdf:/{instance}",
                              filename=str(CUPS_PDF_PPD), info="cups-pdf test printer")
        connection.addPrinter(setup.file_queue, device=f"file://{setup.file_output}",
                              filename=str(pdf_ppd), info="PDF-in test printer")
        for queue in (setup.cups_pdf_queue, setup.file_queue):
            connection.enablePrinter(queue)
            connection.acceptJobs(queue)
        yield setup
    finally:
        daemon.terminate()
        try:
            daemon.wait(10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        instance_conf.unlink(missing_ok=True)
        shutil.rmtree(spool, ignore_errors=True)
