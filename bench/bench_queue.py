"""Queue throughput and call latency on SQLite and PostgreSQL, over real HTTP on loopback.

For each database, a ``hallkiosk server`` process on loopback with one hall (6
services, 8 windows), and:

1. tickets issued per second: 4 enrolled terminals (real keys, signed requests,
   each with its own idempotency key) take tickets back to back for a fixed
   count; throughput and the p50/p95 of each request;
2. call to display: a display terminal follows the hall's event stream; a staff
   member (signed-in session, CSRF header) presses 叫号 then 办结 again and
   again; the time from sending 叫号 to the display receiving the call event.

Run: ``.venv/bin/python bench/bench_queue.py [--only sqlite|postgresql] [--tickets 500]``
"""

from __future__ import annotations

import argparse
import queue
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import machine_note, percentile, served_database, server_process, summary_ms

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLIENTS = 4
CALLS = 100
SETUP = {
    "services": [{"code": f"s{n}", "name": f"业务{n}", "prefix": chr(ord("A") + n),
                  "daily_cap": 999} for n in range(6)],
    "windows": [{"number": n, "name": f"窗口{n}", "services": [f"s{m}" for m in range(6)]}
                for n in range(1, 9)],
}


def prepare(database_url: str) -> None:
    """Migrate, create the hall with its queue set-up and staff."""
    from server.db import Database, upgrade
    from tests.server.queue_setup import make_queue_hall

    database = Database(database_url)
    upgrade(database.engine)
    with database.sessions() as session:
        make_queue_hall(session, SETUP)
    database.engine.dispose()


def enrolled_clients(database_url: str, url: str, folder: Path, count: int) -> list:
    """count terminals enrolled by token, each with its own key."""
    from server.db import Database
    from tests.server.queue_http import enrolled_queue_client

    app = type("App", (), {})()
    app.state = type("State", (), {"database": Database(database_url)})()
    clients = [enrolled_queue_client(app, url, folder / f"terminal-{n}") for n in range(count)]
    app.state.database.engine.dispose()
    return clients


def issue_rate(clients: list, tickets: int) -> None:
    """Each client takes tickets/len(clients) tickets back to back."""
    from kiosk.queue_client import new_request_key

    latencies: list[float] = []
    lock = threading.Lock()

    def run(index: int, client: object) -> None:
        mine = []
        for i in range(tickets // len(clients)):
            started = time.perf_counter()
            client.take_ticket(f"s{(index + i) % 6}", new_request_key())  # type: ignore[attr-defined]
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    print(f"  issue: {len(latencies)} tickets by {len(clients)} terminals in {elapsed:.1f} s = "
          f"{len(latencies) / elapsed:.0f} tickets/s; per request {summary_ms(latencies)}")


def call_latency(display: object, url: str) -> None:
    """Staff call then finish CALLS times; time from 叫号 sent to the display's event."""
    import requests

    from tests.server.queue_http import StaffSession
    from tests.server.queue_setup import PASSWORD

    staff = StaffSession(url, "staff1-QX-01", PASSWORD)
    events: queue.Queue[tuple[str, dict, float]] = queue.Queue()
    after = display.board().last_event_id  # type: ignore[attr-defined]

    def follow() -> None:
        try:
            for event in display.events(after):  # type: ignore[attr-defined]
                events.put((event.kind, {"ticket": event.ticket}, time.perf_counter()))
        except requests.RequestException:
            pass  # the server stopped at the end of the run

    threading.Thread(target=follow, daemon=True).start()
    time.sleep(0.5)
    latencies = []
    for _ in range(CALLS):
        sent = time.perf_counter()
        reply = staff.post("/windows/1/call-next").json()
        while True:
            kind, payload, received = events.get(timeout=10)
            if kind == "called" and payload.get("ticket") == reply["id"]:
                break
        latencies.append(received - sent)
        staff.post(f"/windows/1/tickets/{reply['id']}/finish")
    print(f"  call to display event: {summary_ms(latencies)}; target p95 <= 300 ms "
          f"({'met' if percentile(latencies, 0.95) <= 0.3 else 'missed'})")


def run(kind: str, tickets: int) -> None:
    with tempfile.TemporaryDirectory(prefix="hallkiosk-bench-queue-") as name:
        folder = Path(name)
        with served_database(kind, folder) as database_url:
            prepare(database_url)
            with server_process(database_url, folder) as url:
                print(f"{kind}:")
                clients = enrolled_clients(database_url, url, folder, CLIENTS + 1)
                issue_rate(clients[:CLIENTS], tickets)
                call_latency(clients[CLIENTS], url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--tickets", type=int, default=1000, help="tickets per database")
    args = parser.parse_args()
    print(machine_note())
    for kind in ("sqlite", "postgresql"):
        if args.only in (None, kind):
            run(kind, args.tickets)
    print(machine_note())


if __name__ == "__main__":
    main()
