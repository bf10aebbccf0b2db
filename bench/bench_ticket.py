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

import argparse
import sys
import tempfile
import time
from pathlib import Path

from common import machine_note, percentile, summary_ms, terminal_config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    print(machine_note())
    from kiosk.xvfb import virtual_display
    from provisioning.enrol import enrol
    from server.app import create_app
    from server.background import serve_in_thread
    from server.fleet_service import create_enrolment_token
    from server.settings import ServerSettings
    from tests.server.queue_setup import SETUP, make_queue_hall

    setup = {**SETUP, "services": [{**s, "daily_cap": 999} for s in SETUP["services"]]}
    with tempfile.TemporaryDirectory(prefix="hallkiosk-bench-ticket-") as name, \
            virtual_display():
        folder = Path(name)
        server = create_app(ServerSettings(database_url=f"sqlite:///{folder / 'server.sqlite3'}",
                                           storage_dir=folder / "storage"))
        with server.state.database.sessions() as session:
            hall_id = make_queue_hall(session, setup).hall.id
            token, _row = create_enrolment_token(session, hall_id, "dispenser", 1)
        with serve_in_thread(server) as url:
            data_dir = folder / "terminal"
            assert enrol(url, data_dir, token).status == "accepted"
            config = terminal_config(data_dir).with_overrides(
                "printer", kind="simulated", directory=str(folder / "printer"))
            config = config.with_overrides("terminal", profile="dispenser")
            from kiosk.terminal import create_app as create_terminal

            app = create_terminal(config, windowed=True, size=(1080, 1920))
            from kiosk.driver import Driver

            driver = Driver.start(app)
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
            printed = len(list((folder / "printer").glob("*.bin")))
            app.exit_app()
        server.state.broker.close()
        server.state.database.engine.dispose()
    print(f"tap to ticket bytes at the printer: {summary_ms(spans)}")
    print(f"  of which the signed request to the issued ticket: {summary_ms(server_spans)}")
    print(f"  tickets printed: {printed}; target p95 <= 300 ms "
          f"({'met' if percentile(spans, 0.95) <= 0.3 else 'missed'})")
    print(machine_note())


if __name__ == "__main__":
    main()
