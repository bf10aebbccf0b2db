"""Tap on 确认取号 to the ticket's ESC/POS bytes handed to the printer (target p95 <= 300 ms).

The real terminal app under a private Xvfb, enrolled into a hall on a server
running in this process on loopback (SQLite), with the simulated printer (the
bytes are written to a file, as a file printer would). Each round opens the
confirm screen for a service, presses 确认取号 with a real touch and waits for
the ticket screen. Measured from the touch going down to the moment the printer
had all the bytes: the signed request, issuing in the database, rendering the
ticket bitmap with the CJK font and the QR code, encoding ESC/POS, writing.

Run: ``.venv/bin/python bench/bench_ticket.py [--rounds 60]``
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from common import (
    machine_note,
    percentile,
    queue_rig,
    rounds_arguments,
    summary_ms,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    args = rounds_arguments(__doc__)
    print(machine_note())
    with tempfile.TemporaryDirectory(prefix="hallkiosk-bench-ticket-") as name, queue_rig(
            "dispenser", (1080, 1920), kind="simulated", directory=f"{name}/printer") as rig:
        app, driver = rig.app, rig.driver
        spans, server_spans = [], []
        for round_ in range(args.rounds + 3):
            app.nav.go("ticket_confirm", service="legal-aid", service_name="法律援助",
                       priority="normal")
            driver.frames(3)
            button = driver.find("确认取号", root=driver.screen)
            touched = time.monotonic()
            driver.tap(button)
            assert driver.wait_until(lambda: app.nav.current == "ticket_done", 20)
            issued = app.nav.manager.current_screen.params["ticket"]
            assert issued.printed, issued.printer_message
            if round_ >= 3:  # the first rounds load fonts and warm connections
                spans.append(issued.timings["printed"] - touched)
                server_spans.append(issued.timings["issued"] - issued.timings["tap"])
        printed = len(list(Path(name, "printer").glob("*.bin")))
    print(f"tap to ticket bytes at the printer: {summary_ms(spans)}")
    print(f"  of which the signed request to the issued ticket: {summary_ms(server_spans)}")
    print(f"  tickets printed: {printed}; target p95 <= 300 ms "
          f"({'met' if percentile(spans, 0.95) <= 0.3 else 'missed'})")
    print(machine_note())


if __name__ == "__main__":
    main()
