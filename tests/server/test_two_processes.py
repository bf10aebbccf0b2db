"""Two ``hallkiosk server`` processes on one PostgreSQL database behave as one server."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from devtools.server_process import start_server
from kiosk.queue_client import BoardFeed, QueueClient, new_request_key
from protocol.queue import QueueEvent
from provisioning.client import TerminalClient
from provisioning.commands import CommandRunner
from provisioning.enrol import enrol
from provisioning.heartbeat import HeartbeatAgent
from provisioning.identity import TerminalIdentity
from server.db import Database
from server.fleet.commands import queue_command
from server.models import Command, Hall, Terminal
from server.security import create_user
from server.settings import ServerSettings
from tests.provisioning.test_commands import RecordingContext
from tests.server.conftest import new_postgres_database
from tests.server.queue_http import StaffSession, enrolled_queue_client
from tests.server.queue_setup import PASSWORD, make_queue_hall

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared_database(postgres_server: str) -> str:
    """A fresh PostgreSQL database for both processes."""
    return new_postgres_database(postgres_server)


@pytest.fixture
def servers(shared_database: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Processes A and B (A starts first and migrates the database)."""
    processes = []
    try:
        first, url_a = start_server(shared_database, tmp_path, "a")
        processes.append(first)
        second, url_b = start_server(shared_database, tmp_path, "b")
        processes.append(second)
        yield url_a, url_b
    finally:
        for process in processes:
            process.terminate()
            process.wait(20)


def test_two_processes_share_terminals_and_commands(servers: tuple[str, str],
                                                    shared_database: str,
                                                    tmp_path: Path) -> None:
    url_a, url_b = servers
    data_dir = tmp_path / "terminal"
    assert enrol(url_a, data_dir, wait=0).status == "pending"
    database = Database(shared_database)
    with database.sessions() as session:  # IT accepts it and queues a command (via A's DB)
        hall = Hall(code="H-9", name="两进程测试中心")
        session.add(hall)
        session.flush()
        terminal = session.scalar(select(Terminal))
        assert terminal is not None
        terminal.status, terminal.hall_id = "accepted", hall.id
        command = queue_command(session, terminal.id, "show_message", {"text": "from A"})
        session.commit()

    identity = TerminalIdentity.load_or_create(data_dir)
    context = RecordingContext()
    with TerminalClient(url_b, identity, retries=0) as via_b:
        assert via_b.request("GET", "/api/v1/enrolment").json()["hall"] == "H-9"
        agent = HeartbeatAgent(via_b, data_dir, commands=CommandRunner(via_b, context, data_dir))
        assert agent.beat()  # heartbeat to B brings A's command, acked through B
    assert context.calls == [("show_message", "from A", 30)]
    with TerminalClient(url_a, identity, retries=0) as via_a:
        again = via_a.request("POST", f"/api/v1/commands/{command.id}/ack",
                              json={"ok": True}).json()
        assert again["duplicate"] is True  # A sees B's acknowledgement
        reply = via_a.request("POST", "/api/v1/heartbeat", json={
            **agent.base_report(), "config_version": agent.config_version,
            "outbox_size": 0}).json()
        assert reply["commands"] == []
    with database.sessions() as session:
        stored = session.get(Command, command.id)
        assert stored is not None and stored.result == {"ok": True}
    database.engine.dispose()


def test_a_call_on_one_process_reaches_a_display_on_the_other(
        servers: tuple[str, str], shared_database: str, tmp_path: Path) -> None:
    url_a, url_b = servers
    database = Database(shared_database)
    with database.sessions() as session:
        make_queue_hall(session)
    database.engine.dispose()
    app = type("App", (), {})()  # enrolled_queue_client only needs app.state.database
    app.state = type("State", (), {"database": Database(shared_database)})()
    display_a = enrolled_queue_client(app, url_a, tmp_path / "display", profile="display")
    app.state.database.engine.dispose()
    display = QueueClient(TerminalClient(url_b, display_a.client.identity))  # same key, via B
    events: queue.Queue[tuple[QueueEvent, float]] = queue.Queue()
    feed = BoardFeed(display, lambda _board: None,
                     lambda event: events.put((event, time.monotonic())))
    feed.start()
    deadline = time.monotonic() + 10
    while not feed.status.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    display_a.take_ticket("legal-aid", new_request_key())  # issued through A
    window = StaffSession(url_a, "staff1-QX-01", PASSWORD)
    sent = time.monotonic()
    assert window.post("/windows/1/call-next").json()["number"] == "A001"  # called through A
    kinds = []
    while "called" not in kinds:
        event, received = events.get(timeout=5)
        kinds.append(event.kind)
    assert kinds == ["issued", "called"] and event.window == 1
    assert received - sent < 1.0  # through PostgreSQL NOTIFY to process B's stream
    feed.stop()


def _sign_in(url: str, username: str, password: str) -> requests.Response:
    return requests.post(f"{url}/api/v1/session", json={"username": username,
                                                        "password": password}, timeout=30)


def test_failed_sign_ins_on_both_processes_lock_the_account_on_both(
        servers: tuple[str, str], shared_database: str) -> None:
    url_a, url_b = servers
    database = Database(shared_database)
    with database.sessions() as session:
        for name in ("li.wei", "wang.fang"):
            create_user(session, name, PASSWORD, "it_admin")
        session.commit()
    database.engine.dispose()
    allowed = ServerSettings().login_failures_allowed
    # All failures sent at once, spread over both processes: none may be lost.
    targets = [(url_a, url_b)[number % 2] for number in range(allowed)]
    with ThreadPoolExecutor(len(targets)) as pool:
        answers = list(pool.map(lambda url: _sign_in(url, "li.wei", "guess"), targets))
    assert [answer.status_code for answer in answers] == [401] * allowed
    for url in servers:
        refused = _sign_in(url, "li.wei", PASSWORD)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    form = requests.Session()
    form.get(f"{url_b}/login", timeout=30)
    page = form.post(f"{url_b}/login", timeout=30, data={
        "username": "li.wei", "password": PASSWORD,
        "login_token": form.cookies["hallkiosk_login"]})
    assert page.status_code == 429 and "登录失败次数过多" in page.text
    # A good sign-in on one process clears the failures the other one counted.
    for _ in range(allowed - 1):
        assert _sign_in(url_a, "wang.fang", "guess").status_code == 401
    assert _sign_in(url_b, "wang.fang", PASSWORD).status_code == 200
    for _ in range(allowed - 1):
        assert _sign_in(url_a, "wang.fang", "guess").status_code == 401
    assert _sign_in(url_a, "wang.fang", PASSWORD).status_code == 200
