"""Staff 叫号 in the console to the calling display showing the number (target p95 <= 300 ms).

The real display app (``display`` profile, landscape, under a private Xvfb) is
enrolled into a hall on a server running in this process on loopback (SQLite).
Each round a staff member, signed in through the web console's API, finishes the
window's ticket and presses 叫号; measured from sending 叫号 to the end of the
first frame drawn with the new number on the window's tile: the request, the
commit, the event stream, the board fetch and the redraw.

Run: ``.venv/bin/python bench/bench_display.py [--rounds 60]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
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
    from server.queue.core import issue_ticket
    from server.queue.staff_client import StaffSession
    from server.settings import ServerSettings
    from tests.server.queue_setup import PASSWORD, SETUP, make_queue_hall

    with tempfile.TemporaryDirectory(prefix="hallkiosk-bench-display-") as name, \
            virtual_display():
        folder = Path(name)
        server = create_app(ServerSettings(database_url=f"sqlite:///{folder / 'server.sqlite3'}",
                                           storage_dir=folder / "storage"))
        with server.state.database.sessions() as session:
            hall = make_queue_hall(session, SETUP, sign_in_all=False).hall
            for _ in range(args.rounds + 5):
                issue_ticket(session, hall, "legal-aid", actor="bench")
            session.commit()
            token, _row = create_enrolment_token(session, hall.id, "display", 1)
        with serve_in_thread(server) as url:
            data_dir = folder / "display"
            assert enrol(url, data_dir, token).status == "accepted"
            config = terminal_config(data_dir).with_overrides(
                "terminal", profile="display", orientation="landscape")
            from kiosk.terminal import create_app as create_terminal

            app = create_terminal(config, windowed=True, size=(1920, 1080))
            from kiosk.driver import Driver

            driver = Driver.start(app)
            staff = StaffSession(url, "staff1-QX-01", PASSWORD)
            staff.post("/windows/1/sign-in")
            screen = app.nav.manager.get_screen("display")
            assert driver.wait_until(lambda: 1 in screen._tiles, 20)
            tile = screen._tiles[1]
            spans: list[float] = []
            current: dict[str, object] = {}
            for round_ in range(args.rounds + 2):
                if current:
                    staff.post(f"/windows/1/tickets/{current['id']}/finish")
                box: dict[str, object] = {}

                def call(box: dict[str, object] = box) -> None:
                    box["sent"] = time.monotonic()
                    box["reply"] = staff.post("/windows/1/call-next").json()

                sender = threading.Thread(target=call)
                sender.start()
                while "reply" not in box or tile.number != box["reply"]["number"]:  # type: ignore[index]
                    driver.frames(1)
                shown = time.monotonic()
                sender.join()
                current = box["reply"]  # type: ignore[assignment]
                if round_ >= 2:
                    spans.append(shown - box["sent"])  # type: ignore[operator]
            app.exit_app()
        server.state.broker.close()
        server.state.database.engine.dispose()
    print(f"叫号 to the number drawn on the display: {summary_ms(spans)}; target p95 <= "
          f"300 ms ({'met' if percentile(spans, 0.95) <= 0.3 else 'missed'})")
    print(machine_note())


if __name__ == "__main__":
    main()
