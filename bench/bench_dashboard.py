"""The supervisor dashboard over a year of generated activity, on SQLite and PostgreSQL.

One hall (8 services, 30 windows, 30 staff, 4 query terminals) with 365 days of activity
from ``devtools.activity.generate`` (about 300,000 tickets, 180,000 ratings, 200,000 usage
events), served by a ``hallkiosk server`` process on loopback; a signed-in supervisor loads
``/dashboard`` for the whole year again and again. Prints the generation time, then the
median and p95 page time of the dashboard (and of the XLSX export).

The generated SQLite file is kept under var/bench/ (keyed by the generator's source), so
later runs start at once; PostgreSQL is filled from it by the generator anew each run.

Run: ``.venv/bin/python bench/bench_dashboard.py [--only sqlite|postgresql] [--loads 10]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import machine_note, percentile, served_database, server_process, summary_ms

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "var" / "bench"
DAYS, SEED, DAILY = 365, 2026, 1150
END = dt.date(2026, 6, 30)  # a fixed year, so the cached file stays valid
START = END - dt.timedelta(days=DAYS - 1)
SUPERVISOR = ("bench.supervisor", "bench-supervisor-pass")
SERVICES = [("legal-aid", "法律援助", "A", 30), ("consult", "法律咨询", "B", 20),
            ("mediation", "人民调解", "C", 30), ("notary", "公证", "D", 40),
            ("lawyer", "律师服务", "E", 30), ("appraisal", "司法鉴定", "F", 40),
            ("arbitration", "劳动仲裁", "G", 30), ("grassroots", "基层法律服务", "H", 30)]
SETUP = {
    "services": [{"code": code, "name": name, "prefix": prefix, "daily_cap": 999,
                  "target_wait": target} for code, name, prefix, target in SERVICES],
    "windows": [{"number": n, "name": f"{SERVICES[(n - 1) % 8][1]}窗口",
                 "services": [SERVICES[(n - 1) % 8][0], SERVICES[n % 8][0]]}
                for n in range(1, 31)],
}


def _fingerprint() -> str:
    """Changes whenever the generator or the schema changes."""
    digest = hashlib.sha256(f"{DAYS}:{SEED}:{DAILY}:{END}:{SETUP}".encode())
    for folder in ("server/analytics", "server/migrations/versions"):
        for path in sorted((ROOT / folder).glob("*.py")) + sorted((ROOT / folder).glob("*.yaml")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def fill(database_url: str) -> float:
    """Migrate, set up the hall and its people, generate the year; seconds taken."""
    from devtools.activity.generate import generate_activity
    from server.db import Database, upgrade
    from server.fleet.actions import create_hall
    from server.models import Terminal
    from server.queue.setup import apply_setup, load_setup
    from server.security import create_user

    database = Database(database_url)
    upgrade(database.engine)
    with database.sessions() as session:
        hall = create_hall(session, "BENCH-01", "青溪市公共法律服务中心")
        apply_setup(session, hall, load_setup(SETUP))
        for n in range(30):
            create_user(session, f"staff{n:02d}", "bench-staff-pass", "staff", hall.code)
        create_user(session, *SUPERVISOR, "supervisor", hall.code)
        for n in range(4):
            session.add(Terminal(device_id=f"bench-terminal-{n}", public_key="",
                                 status="accepted", hall_id=hall.id, profile="query",
                                 name=f"查询机{n + 1}"))
        session.commit()
        started = time.perf_counter()
        made = generate_activity(session, hall, START, DAYS, SEED, daily_tickets=DAILY,
                                 now=dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
        session.commit()
        elapsed = time.perf_counter() - started
    database.engine.dispose()
    print(f"  generated {made.tickets} tickets, {made.ratings} ratings, {made.follow_ups} "
          f"follow-ups, {made.complaints} complaints, {made.usage_events} usage events "
          f"in {elapsed:.0f} s")
    return elapsed


def sqlite_file(folder: Path) -> str:
    """A copy of the cached year on SQLite (generated first when missing)."""
    cached = CACHE / f"dashboard-{_fingerprint()}.sqlite3"
    if not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        for old in CACHE.glob("dashboard-*.sqlite3*"):
            old.unlink()
        building = CACHE / "building.sqlite3"
        for leftover in CACHE.glob("building.sqlite3*"):
            leftover.unlink()
        fill(f"sqlite:///{building}")
        import sqlite3

        with sqlite3.connect(building) as connection:  # one self-contained file
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        building.rename(cached)
        for leftover in CACHE.glob("building.sqlite3*"):  # the emptied -wal and -shm
            leftover.unlink()
    else:
        print(f"  using {cached.relative_to(ROOT)}")
    target = folder / "server.sqlite3"
    shutil.copyfile(cached, target)
    return f"sqlite:///{target}"


def load_pages(url: str, loads: int) -> None:
    """Sign in as the supervisor, then time the dashboard and the XLSX export."""
    import requests

    http = requests.Session()
    reply = http.post(f"{url}/api/v1/session", timeout=30,
                      json={"username": SUPERVISOR[0], "password": SUPERVISOR[1]})
    reply.raise_for_status()
    query = f"start={START.isoformat()}&end={END.isoformat()}"
    for label, path in (("dashboard page", f"/dashboard?{query}"),
                        ("XLSX export", f"/dashboard/export.xlsx?{query}")):
        times = []
        for attempt in range(loads + 1):
            started = time.perf_counter()
            reply = http.get(url + path, timeout=120)
            elapsed = time.perf_counter() - started
            reply.raise_for_status()
            if attempt:
                times.append(elapsed)
            else:  # the first load rolls up the year's days (once) and warms the pool
                print(f"  {label}, first load: {elapsed * 1000:.0f} ms")
        note = ""
        if label == "dashboard page":
            met = percentile(times, 0.95) <= 1.0
            note = f"; target p95 <= 1 s ({'met' if met else 'missed'})"
        print(f"  {label} ({len(reply.content) // 1024} KB): {summary_ms(times)}{note}")


def run(kind: str, loads: int) -> None:
    print(f"{kind}:")
    with tempfile.TemporaryDirectory(prefix="hallkiosk-bench-dashboard-") as name:
        folder = Path(name)
        sqlite_url = sqlite_file(folder) if kind == "sqlite" else ""
        with served_database(kind, folder, sqlite_url) as database_url:
            if kind != "sqlite":
                fill(database_url)
            with server_process(database_url, folder) as url:
                load_pages(url, loads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--loads", type=int, default=10, help="timed page loads")
    args = parser.parse_args()
    print(machine_note())
    print(f"one hall, {DAYS} days ({START} to {END}), about {DAILY} tickets a working day")
    for kind in ("sqlite", "postgresql"):
        if args.only in (None, kind):
            run(kind, args.loads)
    print(machine_note())


if __name__ == "__main__":
    main()
