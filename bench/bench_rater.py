"""Staff 办结 in the console to the window's rating pad awake (target p95 <= 500 ms).

The real rating pad app (``rater`` profile for window 1, portrait, under a private Xvfb)
is enrolled into a hall on a server running in this process on loopback (SQLite). Each
round a staff member, signed in through the web console's API, calls the next ticket
and presses 办结; measured from sending 办结 to the end of the first frame drawn with
the five faces for that ticket: the request, the commit, the event stream and the
screen change. Then the visitor skips, and the pad is back at rest.

Run: ``.venv/bin/python bench/bench_rater.py [--rounds 60]``
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
    from protocol.config import merge
    from tests.server.queue_setup import PASSWORD

    with queue_rig("rater", (1080, 1920), waiting_tickets(args.rounds + 5)) as rig:
        app, driver, url = rig.app, rig.driver, rig.url
        app.apply_config(merge(app.terminal_config, {"rater": {"window": 1}}))
        staff = StaffSession(url, "staff1-QX-01", PASSWORD)
        staff.post("/windows/1/sign-in")
        rater = app.nav.screen("rater")
        assert driver.wait_until(lambda: app.nav.current == "rater" and rater.board, 20)
        spans: list[float] = []
        for round_ in range(args.rounds + 2):
            ticket = staff.post("/windows/1/call-next").json()
            driver.frames(2)
            box: dict[str, float] = {}

            def finish(box: dict[str, float] = box, ticket_id: int = ticket["id"]) -> None:
                box["sent"] = time.monotonic()
                staff.post(f"/windows/1/tickets/{ticket_id}/finish")

            sender = threading.Thread(target=finish)
            sender.start()
            while app.nav.current != "rate" or (
                    app.nav.manager.current_screen.params.get("number") != ticket["number"]):
                driver.frames(1)
            driver.frames(1)  # the frame that draws the faces
            awake = time.monotonic()
            sender.join()
            if round_ >= 2:
                spans.append(awake - box["sent"])
            app.nav.restart()  # the visitor skips: back at rest
            driver.frames(2)
    print(f"办结 to the rating pad awake: {summary_ms(spans)}; target p95 <= 500 ms "
          f"({'met' if percentile(spans, 0.95) <= 0.5 else 'missed'})")
    print(machine_note())


if __name__ == "__main__":
    main()
