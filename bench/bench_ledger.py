"""服务台账 list page with 100,000 entries in one hall, on SQLite and PostgreSQL.

One hall (8 services, 30 windows, 30 staff) with a year of ledger entries (about 274 a
day, 100,010 in all; ``devtools.ledger_seed``), served by a ``hallkiosk server`` process on
loopback; a signed-in supervisor loads ``/ledger`` with a mix of filters again and again
(the default 30 days, the whole year, a window, a staff member and a category, words
searched over the year, the last page of the year). Prints the median and p95 of the list
page over all loads, per filter, and the times of an entry page, the filtered XLSX export
of 30 days and the monthly archive of the busiest month.

Run: ``.venv/bin/python bench/bench_ledger.py [--only sqlite|postgresql] [--loads 10]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from common import machine_note, percentile, served_database, server_process, summary_ms

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DAYS, PER_DAY = 365, 274
SUPERVISOR = ("bench.supervisor", "bench-supervisor-pass")
SERVICES = [("legal-aid", "法律援助", "A"), ("consult", "法律咨询", "B"),
            ("mediation", "人民调解", "C"), ("notary", "公证", "D"), ("lawyer", "律师服务", "E"),
            ("appraisal", "司法鉴定", "F"), ("arbitration", "劳动仲裁", "G"),
            ("grassroots", "基层法律服务", "H")]
SETUP = {
    "services": [{"code": code, "name": name, "prefix": prefix, "daily_cap": 999}
                 for code, name, prefix in SERVICES],
    "windows": [{"number": n, "name": f"{SERVICES[(n - 1) % 8][1]}窗口",
                 "services": [SERVICES[(n - 1) % 8][0]]} for n in range(1, 31)],
}


def fill(database_url: str, end: dt.date) -> dict[str, int]:
    """Migrate, set up the hall and its people, write the year of entries; some ids."""
    from sqlalchemy import select

    from devtools.ledger_seed import seed_ledger
    from server.db import Database, upgrade
    from server.fleet.actions import create_hall
    from server.models import Service, User, Window
    from server.queue.setup import apply_setup, load_setup
    from server.security import create_user

    database = Database(database_url)
    upgrade(database.engine)
    with database.sessions() as session:
        hall = create_hall(session, "BENCH-01", "青溪市公共法律服务中心")
        apply_setup(session, hall, load_setup(SETUP))
        for n in range(30):
            create_user(session, f"staff{n:02d}", "bench-staff-pass", "staff", hall.code,
                        full_name=f"员工{n:02d}")
        create_user(session, *SUPERVISOR, "supervisor", hall.code)
        session.commit()
        started = time.perf_counter()
        made = seed_ledger(session, hall, end - dt.timedelta(days=DAYS - 1), DAYS, PER_DAY)
        session.commit()
        print(f"  wrote {made.tickets} tickets with ledger entries in "
              f"{time.perf_counter() - started:.0f} s")
        ids = {"entry": made.entry_ids[len(made.entry_ids) // 2],
               "window": session.scalar(select(Window.id).where(Window.number == 3)) or 0,
               "staff": session.scalar(select(User.id).where(User.username == "staff07")) or 0,
               "service": session.scalar(select(Service.id).where(
                   Service.code == "mediation")) or 0}
    database.engine.dispose()
    return ids


def load_pages(url: str, loads: int, ids: dict[str, int], end: dt.date) -> None:
    """Sign in as the supervisor, then time the list with each filter, and the rest."""
    import requests

    http = requests.Session()
    http.post(f"{url}/api/v1/session", timeout=30,
              json={"username": SUPERVISOR[0], "password": SUPERVISOR[1]}).raise_for_status()
    year = f"start={end - dt.timedelta(days=DAYS - 1)}&end={end}"
    month = f"start={end - dt.timedelta(days=29)}&end={end}"
    lists = {"30 days (default)": f"/ledger?{month}",
             "whole year": f"/ledger?{year}",
             "year, one window": f"/ledger?{year}&window={ids['window']}",
             "year, staff + category": f"/ledger?{year}&staff={ids['staff']}"
                                       f"&service={ids['service']}&result=filled",
             "year, words searched": f"/ledger?{year}&q=工伤 法律援助",
             "year, last page": f"/ledger?{year}&page={DAYS * PER_DAY // 50 + 1}"}
    every: list[float] = []
    for label, path in lists.items():
        times = timed(http, url + path, loads)
        every.extend(times)
        print(f"  list, {label}: {summary_ms(times)}")
    met = percentile(every, 0.95) <= 1.0
    print(f"  list page, all {len(every)} loads: {summary_ms(every)}; "
          f"target p95 <= 1 s ({'met' if met else 'missed'})")
    for label, path, count in (
            ("entry page", f"/ledger/{ids['entry']}", loads),
            ("XLSX export, 30 days", f"/ledger/export.xlsx?{month}", 3),
            ("monthly archive", f"/ledger/archive.xlsx?month={end:%Y-%m}", 3)):
        print(f"  {label}: {summary_ms(timed(http, url + path, count))}")


def timed(http: object, address: str, loads: int) -> list[float]:
    """Seconds of loads GETs of address after one untimed warm-up."""
    times = []
    for attempt in range(loads + 1):
        started = time.perf_counter()
        reply = http.get(address, timeout=300)  # type: ignore[attr-defined]
        elapsed = time.perf_counter() - started
        reply.raise_for_status()
        if attempt:
            times.append(elapsed)
    return times


def run(kind: str, loads: int) -> None:
    from server.models import utcnow
    from server.queue.hours import local_now

    print(f"{kind}:")
    end = local_now(utcnow()).date()
    with tempfile.TemporaryDirectory(prefix="hallkiosk-bench-ledger-") as name:
        folder = Path(name)
        with served_database(kind, folder) as database_url:
            ids = fill(database_url, end)
            with server_process(database_url, folder) as url:
                load_pages(url, loads, ids, end)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--loads", type=int, default=10, help="timed loads of each list")
    args = parser.parse_args()
    print(machine_note())
    print(f"one hall, {DAYS} days to today, {PER_DAY} ledger entries a day")
    for kind in ("sqlite", "postgresql"):
        if args.only in (None, kind):
            run(kind, args.loads)
    print(machine_note())


if __name__ == "__main__":
    main()
