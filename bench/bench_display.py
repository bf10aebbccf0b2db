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

import sys
import threading
import time
from pathlib import Path

from common import (
    machine_note,
    percentile,
    queue_rig,
    rounds_arguments,
    summary_ms,
    waiting_tickets,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    args = rounds_arguments(__doc__)
    print(machine_note())
    from devtools.staff_client import StaffSession
    from tests.server.queue_setup import PASSWORD

    with queue_rig("display", (1920, 1080), waiting_tickets(args.rounds + 5)) as rig:
        app, driver, url = rig.app, rig.driver, rig.url
        staff = StaffSession(url, "staff1-QX-01", PASSWORD)
        staff.post("/windows/1/sign-in")
        screen = app.nav.screen("display")
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
    print(f"叫号 to the number drawn on the display: {summary_ms(spans)}; target p95 <= "
          f"300 ms ({'met' if percentile(spans, 0.95) <= 0.3 else 'missed'})")
    print(machine_note())


if __name__ == "__main__":
    main()
