"""A burst of wrong sign-ins against a real server process (issue 12, finding 1).

Before the fix, twenty wrong passwords at once held every pooled connection across argon2
and asked for a second one to count the failure: ``/api/v1/health`` took 30 s and answered
500, and 30 attempts for one name were all checked. Here 50 arrive at once, on SQLite and
on PostgreSQL, while health is asked every 20 ms.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from devtools.server_process import ROOT, start_server
from server.db import Database, upgrade
from server.models import LoginFailure
from server.security import create_user

PASSWORD = "correct horse battery"
BURST = 50
HEALTH_BUDGET = 0.100  # seconds, for the median and the 95th percentile of health asks
# The single worst ask may take longer: on this shared two-core machine, 50 requests of any
# kind arriving at once (plain 404s measured the same) hold one ask up by 100-350 ms while
# the event loop takes them in. Before the fix the worst was 30 s and an error.
HEALTH_WORST = 1.0
# The point is how the server copes while argon2 is slow: production hashing parameters.
pytestmark = pytest.mark.real_password_cost


@dataclass
class Burst:
    """What a burst of sign-ins got, and how fast health answered meanwhile."""

    answers: list[tuple[int, str, str | None]] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    health_statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def statuses(self) -> Counter[int]:
        """How many sign-ins got each status."""
        return Counter(status for status, _, _ in self.answers)

    def first(self, status: int) -> tuple[int, str, str | None]:
        """The first answer with status."""
        return next(answer for answer in self.answers if answer[0] == status)

    def check_health(self) -> None:
        """Health answered every ask, and fast, while the burst lasted."""
        assert self.health_statuses == Counter({200: len(self.health)})
        ordered = sorted(self.health)
        assert statistics.median(ordered) < HEALTH_BUDGET, self.report("health")
        assert ordered[int(0.95 * (len(ordered) - 1))] < HEALTH_BUDGET, self.report("health")
        assert ordered[-1] < HEALTH_WORST, self.report("health")

    def report(self, label: str) -> str:
        """One line of figures for the test output."""
        return (f"{label}: {dict(self.statuses)} in {self.seconds:.2f} s; health "
                f"{len(self.health)} asks, median {statistics.median(self.health) * 1000:.1f} ms,"
                f" 95% {sorted(self.health)[int(0.95 * (len(self.health) - 1))] * 1000:.1f} ms,"
                f" max {max(self.health) * 1000:.1f} ms")


def burst(url: str, names: list[str], password: str = "wrong guess") -> Burst:
    """Post one sign-in per name, all at once from another process (connections opened
    before), while asking for health every 20 ms from this one."""
    result, done = Burst(), threading.Event()
    with subprocess.Popen(
            [sys.executable, "-m", "tests.server.sign_in_burst_client", url, password, *names],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as sender, \
            requests.Session() as health:
        assert sender.stdin is not None and sender.stdout is not None
        assert sender.stdout.readline().strip() == "ready"
        health.get(f"{url}/api/v1/health", timeout=5)  # its connection is open before

        def watch_health() -> None:
            while not done.is_set():
                began = time.perf_counter()
                try:
                    status = health.get(f"{url}/api/v1/health", timeout=5).status_code
                except requests.RequestException:
                    status = 0  # no answer within 5 s (as before the fix)
                result.health.append(time.perf_counter() - began)
                result.health_statuses[status] += 1
                time.sleep(0.02)

        watcher = threading.Thread(target=watch_health)
        began = time.perf_counter()
        sender.stdin.write("go\n")
        sender.stdin.flush()
        watcher.start()
        line = sender.stdout.readline()
        result.seconds = time.perf_counter() - began
        done.set()
        watcher.join()
        sender.wait(30)
    result.answers = [(status, detail, retry) for status, detail, retry in json.loads(line)]
    return result


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The test database, migrated, with one account."""
    database = Database(database_url)
    upgrade(database.engine)
    with database.sessions() as session:
        create_user(session, "li.wei", PASSWORD, "editor")
        session.commit()
    yield database
    database.engine.dispose()


def serve(database: Database, tmp_path: Path, **settings: str
          ) -> tuple[subprocess.Popen[bytes], str]:
    return start_server(database.engine.url.render_as_string(hide_password=False), tmp_path,
                        "server", settings=settings)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(15)


def failures(database: Database) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(LoginFailure)) or 0


def test_fifty_wrong_passwords_for_one_name(database: Database, tmp_path: Path) -> None:
    process, url = serve(database, tmp_path)
    try:
        result = burst(url, ["li.wei"] * BURST)
        print(result.report("one name"))
        # Exactly the allowed five were checked; the sixth and every later one refused.
        assert result.statuses == Counter({401: 5, 429: BURST - 5})
        _, detail, retry_after = result.first(429)
        assert detail.startswith("登录失败次数过多") and "Too many failed sign-ins" in detail
        assert int(retry_after or 0) >= 1
        assert len(result.health) >= 5
        result.check_health()
        # The right password is refused too now: the name is locked, not merely guessed.
        right = requests.post(f"{url}/api/v1/session", timeout=10,
                              json={"username": "li.wei", "password": PASSWORD})
        assert right.status_code == 429
        assert failures(database) == 5  # the refused attempts were not recorded
    finally:
        stop(process)


def test_fifty_names_at_once_leave_the_server_answering(database: Database,
                                                        tmp_path: Path) -> None:
    # Every attempt is a different name and the address limit is out of the way, so all 50
    # passwords are hashed: they queue for the argon2 workers without holding connections.
    process, url = serve(database, tmp_path, login_failures_per_address="1000",
                         login_queue_timeout="120")
    try:
        result = burst(url, [f"guess{number}" for number in range(BURST)])
        print(result.report("fifty names"))
        assert result.statuses == Counter({401: BURST})
        assert len(result.health) >= 10  # the burst lasted while health was asked
        result.check_health()
        assert failures(database) == BURST
        # A good sign-in still works after the burst, and clears only its own name.
        good = requests.post(f"{url}/api/v1/session", timeout=10,
                             json={"username": "li.wei", "password": PASSWORD})
        assert good.status_code == 200 and failures(database) == BURST
    finally:
        stop(process)


def test_sign_ins_waiting_too_long_are_told_to_retry(database: Database,
                                                     tmp_path: Path) -> None:
    process, url = serve(database, tmp_path, login_failures_per_address="1000",
                         login_queue_timeout="0.05", login_hash_workers="1")
    try:
        result = burst(url, [f"guess{number}" for number in range(10)])
        assert result.statuses[503] >= 1 and result.statuses[401] >= 1
        assert result.statuses[401] + result.statuses[503] == 10
        _, detail, retry_after = result.first(503)
        assert detail == ("登录请求过多，请稍后再试。"
                          "Too many sign-ins at once; please try again shortly.")
        assert int(retry_after or 0) >= 1
        # Only the attempts whose password was checked count as failures.
        assert failures(database) == result.statuses[401]
    finally:
        stop(process)
    log = (tmp_path / "server.log").read_text()
    assert "not checked: too many waiting" in log and "guess" not in log
