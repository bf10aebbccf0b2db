"""Cases at province scale: 100,000 cases over 20 halls (5,000 each, every state, a tenth
overdue), then a supervisor's 案件办理 list page and a terminal's 办事进度查询.

(a) ``GET /cases`` as the supervisor of one hall (in-process HTTP: routing, session,
the queries and the page's rendering), default filter, overdue only, and a phone prefix
search: median and p95 of 30 loads each after one warm-up. (b) ``POST
/api/v1/cases/progress`` from an enrolled terminal over loopback HTTP (signed requests)
for real codes picked at random: median and p95 of 100 look-ups.

Run: ``.venv/bin/python bench/bench_cases.py [--only sqlite|postgresql] [--cases 100000]``
(a minute or two per database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from devtools.postgres import temporary_postgres  # noqa: E402
from protocol.cases import CaseProgress  # noqa: E402
from server.app import create_app  # noqa: E402
from server.cases.models import Case, CaseEvent  # noqa: E402
from server.fleet.actions import create_hall  # noqa: E402
from server.models import Hall, utcnow  # noqa: E402
from server.security import create_user  # noqa: E402
from server.settings import ServerSettings  # noqa: E402
from tests.provisioning.live_server import live_server  # noqa: E402
from tests.server.conftest import new_postgres_database  # noqa: E402
from tests.server.queue_http import enrolled_queue_client  # noqa: E402

HALLS = 20
PASSWORD = "bench-cases-pass-1"
STATES = ("submitted", "accepted", "needs_more", "transferred", "closed")
KINDS = ("legal_aid", "callback", "mediation", "complaint")


def populate(app, total: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The halls, a supervisor of hall 1, and total cases with one event each; codes."""
    rng = random.Random(7)
    now = utcnow()
    today = now.date()
    codes: list[str] = []
    with app.state.database.sessions() as session:
        halls = [create_hall(session, f"BX-{n:02d}", f"基准测试第{n}公共法律服务中心")
                 for n in range(1, HALLS + 1)]
        session.flush()
        create_user(session, "bench-boss", PASSWORD, "supervisor", "BX-01")
        session.commit()
        hall_ids = [hall.id for hall in halls]
        batch: list[dict[str, object]] = []
        for index in range(total):
            code = f"{rng.randrange(10**12):012d}"
            codes.append(code)
            hall_id = hall_ids[index % HALLS]
            overdue = rng.random() < 0.1
            batch.append({
                "hall_id": hall_id, "origin_hall_id": hall_id,
                "kind": KINDS[index % len(KINDS)], "code": code,
                "token": secrets.token_urlsafe(18), "state": rng.choice(STATES),
                "name": "张三", "phone": f"13{rng.randrange(10**9):09d}", "matter": "追索劳动报酬",
                "details": {}, "transferred_to": "", "source": "terminal",
                "due_on": today + dt.timedelta(days=-rng.randrange(1, 30) if overdue
                                               else rng.randrange(0, 20)),
                "created_at": now, "received_at": now, "updated_at": now})
            if len(batch) == 5000:
                session.execute(insert(Case), batch)
                batch = []
        if batch:
            session.execute(insert(Case), batch)
        session.commit()
        ids = session.scalars(select(Case.id)).all()
        for start in range(0, len(ids), 5000):
            session.execute(insert(CaseEvent), [
                {"case_id": case_id, "kind": "submitted", "state": "submitted", "at": now,
                 "actor": "system", "message": "您的申请已提交。", "note": "", "detail": {}}
                for case_id in ids[start:start + 5000]])
        session.commit()
        assert session.scalar(select(Hall.id).where(Hall.code == "BX-01")) is not None
    # Unique codes (a repeat in 100,000 draws of 10^12 is unlikely but possible).
    return sorted(set(codes))


def timings(run, count: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(median ms, p95 ms) of count runs after one warm-up."""
    run()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def bench(url: str, total: int, folder: Path) -> list[tuple[str, float, float]]:
    """The rows of the table for one database."""
    settings = ServerSettings(database_url=url, storage_dir=folder / "storage")
    app = create_app(settings)
    rows = []
    try:
        started = time.perf_counter()
        codes = populate(app, total)
        print(f"  ({total} cases stored in {time.perf_counter() - started:.0f} s)")
        with TestClient(app) as client:
            signed = client.post("/api/v1/session",
                                 json={"username": "bench-boss", "password": PASSWORD})
            assert signed.status_code == 200, signed.text
            for label, query in (("list, default", ""), ("list, overdue", "?overdue=1"),
                                 ("list, phone 139…", "?q=139&state=")):
                def load(query: str = query) -> None:
                    page = client.get(f"/cases{query}")
                    assert page.status_code == 200 and "<tr data-id=" in page.text
                rows.append((label, *timings(load, 30)))
        with live_server(app) as base:
            terminal = enrolled_queue_client(app, base, folder / "terminal", "BX-01",
                                             "query")
            picks = random.Random(3)

            def look_up() -> None:
                progress = terminal.client.typed_request(
                    "POST", "/api/v1/cases/progress", CaseProgress,
                    json={"code": picks.choice(codes), "phone": ""})
                assert progress.steps

            rows.append(("progress look-up", *timings(look_up, 100)))
    finally:
        app.state.broker.close()
        app.state.database.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--cases", type=int, default=100_000)
    options = parser.parse_args()
    results: list[tuple[str, str, float, float]] = []
    if options.only != "postgresql":
        with tempfile.TemporaryDirectory() as folder:
            print("sqlite")
            results += [("sqlite", *row) for row in bench(
                f"sqlite:///{folder}/bench.sqlite3", options.cases, Path(folder))]
    if options.only != "sqlite":
        with temporary_postgres() as server, tempfile.TemporaryDirectory() as folder:
            print("postgresql")
            results += [("postgresql", *row) for row in bench(
                new_postgres_database(server), options.cases, Path(folder))]
    print(f"{'database':<12}{'what':<20}{'median ms':>10}{'p95 ms':>9}")
    for database, what, median, p95 in results:
        print(f"{database:<12}{what:<20}{median:>10.1f}{p95:>9.1f}")
    print(f"({options.cases} cases over {HALLS} halls; the list is one hall's, 50 a page)")


if __name__ == "__main__":
    main()
