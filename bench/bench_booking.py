"""Bookings per second for one slot under contention: 20 clients book the same slot back
to back until it is full, on SQLite and PostgreSQL; never more bookings than seats.

The clients are threads calling the booking service (server/appointments/service.py) each
on its own database session, as 20 server requests would; HTTP is left out so the figure
is the database's contention on the slot. The slot has 400 seats; every client books with
its own phone numbers until the slot is full.

Run: ``.venv/bin/python bench/bench_booking.py [--only sqlite|postgresql] [--seats 400]``
(well under a minute).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402
from tests.server.postgres import temporary_postgres  # noqa: E402

from server.appointments import service as appointments  # noqa: E402
from server.appointments.errors import AppointmentError  # noqa: E402
from server.appointments.models import Booking  # noqa: E402
from server.db import Database, upgrade  # noqa: E402
from server.models import Hall  # noqa: E402
from tests.server.appointment_setup import MONDAY, MONDAY_0900, set_up_bookable  # noqa: E402
from tests.server.conftest import new_postgres_database  # noqa: E402
from tests.server.queue_setup import make_queue_hall  # noqa: E402

CLIENTS = 20


def run(url: str, seats: int) -> tuple[float, int, int, float]:
    """(bookings/s, bookings stored, distinct seats, p95 ms per booking)."""
    database = Database(url)
    upgrade(database.engine)
    with database.sessions() as session:
        q = make_queue_hall(session, sign_in_all=False)
        set_up_bookable(session, q.hall, [{
            "code": "notary", "name": "公证", "queue_service": "notary",
            "slots": {"mon": ["10:00-11:00"]}, "capacity": seats}])
        hall_id = q.hall.id
    barrier = threading.Barrier(CLIENTS)
    latencies: list[float] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        barrier.wait()
        mine: list[float] = []
        for number in range(seats):
            started = time.perf_counter()
            with database.sessions() as session:
                hall = session.get(Hall, hall_id)
                assert hall is not None
                try:
                    appointments.book(session, hall, "notary", MONDAY, "10:00", name="李四",
                                      phone=f"13{index:02d}{number:07d}", matter="公证",
                                      now=MONDAY_0900)
                    session.commit()
                except AppointmentError as refused:
                    session.rollback()
                    if refused.code == "slot_full":
                        break
                    raise
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with database.sessions() as session:
        stored = session.scalar(select(func.count()).select_from(Booking)) or 0
        distinct = session.scalar(select(func.count(func.distinct(Booking.seat)))) or 0
    database.engine.dispose()
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else 0.0
    return stored / elapsed, stored, distinct, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--seats", type=int, default=400)
    options = parser.parse_args()
    print(f"{'database':<12}{'bookings/s':>12}{'stored':>8}{'seats':>8}{'p95 ms':>9}")
    if options.only != "postgresql":
        with tempfile.TemporaryDirectory() as folder:
            rate, stored, distinct, p95 = run(f"sqlite:///{folder}/bench.sqlite3",
                                              options.seats)
            print(f"{'sqlite':<12}{rate:>12.0f}{stored:>8}{distinct:>8}{p95:>9.1f}")
    if options.only != "sqlite":
        with temporary_postgres() as server:
            rate, stored, distinct, p95 = run(new_postgres_database(server), options.seats)
            print(f"{'postgresql':<12}{rate:>12.0f}{stored:>8}{distinct:>8}{p95:>9.1f}")
    print(f"({CLIENTS} clients on one slot of {options.seats} seats; stored must equal seats)")


if __name__ == "__main__":
    main()
