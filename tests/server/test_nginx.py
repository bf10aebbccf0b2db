"""Two ``hallkiosk server`` processes on one PostgreSQL behind Debian's nginx, run with the
deploy guide's own site file (deploy/nginx-hallkiosk.conf; only its ports and TLS swapped
for loopback ones): tickets, calls and live streams through the proxy, visitors' real
addresses, upstream keep-alive, and a process SIGKILLed under a display's stream.

nginx runs as the current user with a private prefix (no root, no system config). Clients
connect from other loopback addresses (127.0.0.2 ...; Linux routes all of 127/8 to lo) so
that the address nginx forwards differs from its own, which the servers trust.
"""

from __future__ import annotations

import getpass
import grp
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import select

from devtools.server_process import start_server
from devtools.staff_client import StaffSession
from kiosk.queue_client import BoardFeed, QueueClient, new_request_key, parse_events
from protocol.queue import QueueEvent
from provisioning.client import TerminalClient
from provisioning.enrol import enrol
from provisioning.identity import TerminalIdentity
from server.background import free_port
from server.db import Database
from server.fleet.enrolment import create_enrolment_token
from server.models import LoginFailure
from server.queue.models import Ticket
from tests.server.conftest import new_postgres_database
from tests.server.queue_setup import PASSWORD, make_queue_hall

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx-hallkiosk.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PER_ADDRESS = 3  # login_failures_per_address on both processes
pytestmark = pytest.mark.skipif(not os.path.exists(NGINX),
                                reason="nginx is not installed (make system installs it)")


class FromAddress(HTTPAdapter):
    """An adapter whose connections leave from one loopback address."""

    def __init__(self, address: str, **kwargs: Any):
        self.address = address  # init_poolmanager runs inside HTTPAdapter.__init__
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def from_address(session: requests.Session, address: str) -> requests.Session:
    """session, its connections now from address (keeping its adapter's retries)."""
    retries = session.get_adapter("http://").max_retries  # type: ignore[attr-defined]
    session.mount("http://", FromAddress(address, max_retries=retries))
    return session


def site_config(upstreams: list[int], listen: int) -> str:
    """The guide's site file with the test's ports, without TLS."""
    text = SITE.read_text("utf-8")
    swaps = {"    server 127.0.0.1:8348 ": f"    server 127.0.0.1:{upstreams[0]} ",
             "    server 127.0.0.1:8349 ": f"    server 127.0.0.1:{upstreams[1]} ",
             "    listen 443 ssl;\n": f"    listen 127.0.0.1:{listen};\n"}
    for old, new in swaps.items():
        assert text.count(old) == 1, f"{SITE.name} no longer has {old.strip()!r} once"
        text = text.replace(old, new)
    return "\n".join(line for line in text.splitlines()
                     if not line.strip().startswith(("ssl_certificate", "ssl_certificate_key")))


@contextmanager
def running_nginx(folder: Path, site: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """nginx in the foreground with a private prefix, the site included in its http block."""
    folder.mkdir()
    (folder / "hallkiosk.conf").write_text(site, "utf-8")
    temp = " ".join(f"{kind}_temp_path {folder / kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, nginx would hand its workers to "nobody", who cannot use this folder.
    user = (f"user {getpass.getuser()} {grp.getgrgid(os.getgid()).gr_name};"
            if os.geteuid() == 0 else "")
    (folder / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
events {{ worker_connections 1024; }}
http {{
    access_log {folder / "access.log"};
    {temp}
    include {folder / "hallkiosk.conf"};
}}
""", "utf-8")
    command = [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"),
               "-e", str(folder / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr  # the guide's file is valid nginx
    process = subprocess.Popen([*command, "-g", "daemon off;"])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, \
                    (folder / "error.log").read_text()
                time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        process.wait(10)


def log_lines(tmp_path: Path, name: str, pattern: str) -> list[str]:
    """Lines of a server process's log (uvicorn's access log included) matching pattern."""
    text = (tmp_path / f"{name}.log").read_text("utf-8", errors="replace")
    return [line for line in text.splitlines() if re.search(pattern, line)]


def next_event(events: queue.Queue[tuple[QueueEvent, float]], kind: str,
               seen: list[QueueEvent]) -> tuple[QueueEvent, float]:
    """The display's next event of a kind (the ones before it kept in seen)."""
    while True:
        event, received = events.get(timeout=15)
        seen.append(event)
        if event.kind == kind:
            return event, received


def idle_connections(worker: psutil.Process, port: int) -> int:
    """nginx's open connections to an upstream port."""
    return sum(1 for connection in worker.net_connections("tcp")
               if connection.raddr and connection.raddr.port == port
               and connection.status == psutil.CONN_ESTABLISHED)


def test_two_processes_behind_nginx(postgres_server: str, tmp_path: Path) -> None:
    database_url = new_postgres_database(postgres_server)
    settings = {"login_failures_per_address": str(PER_ADDRESS)}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    ports: dict[str, int] = {}
    disposables: list[Database] = []
    try:
        for name in ("a", "b"):  # a starts first and migrates the database
            processes[name], url = start_server(database_url, tmp_path, name, settings=settings)
            ports[name] = int(url.rsplit(":", 1)[1])
        database = Database(database_url)
        disposables.append(database)
        with database.sessions() as session:
            hall = make_queue_hall(session).hall
            tokens = [create_enrolment_token(session, hall.id, profile, 1)[0]
                      for profile in ["display"] + ["dispenser"] * 4]
            session.commit()
        listen = free_port()
        proxy = f"http://127.0.0.1:{listen}"
        with running_nginx(tmp_path / "nginx", site_config([ports["a"], ports["b"]], listen),
                           listen) as nginx:
            run_through_proxy(proxy, tokens, processes, ports, tmp_path, database,
                              psutil.Process(nginx.pid))
    finally:
        for opened in disposables:
            opened.engine.dispose()
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
                process.wait(20)


def run_through_proxy(proxy: str, tokens: list[str],
                      processes: dict[str, subprocess.Popen[bytes]], ports: dict[str, int],
                      tmp_path: Path, database: Database, nginx: psutil.Process) -> None:
    clients = []
    for number, token in enumerate(tokens):  # enrolled through nginx, by token
        data_dir = tmp_path / f"terminal{number}"
        assert enrol(proxy, data_dir, token).status == "accepted"
        clients.append(TerminalClient(proxy, TerminalIdentity.load_or_create(data_dir)))
    display, dispensers = QueueClient(clients[0]), [QueueClient(c) for c in clients[1:]]
    from_address(display.client.session, "127.0.0.2")

    # The display's live stream, through nginx.
    events: queue.Queue[tuple[QueueEvent, float]] = queue.Queue()
    feed = BoardFeed(display, lambda _board: None,
                     lambda event: events.put((event, time.monotonic())))
    feed.start()
    stream = r'127\.0\.0\.2:\d+ - "GET /api/v1/queue/events\?after=\d+ HTTP/1.1" 200'
    deadline = time.monotonic() + 15
    while not (holders := [name for name in processes if log_lines(tmp_path, name, stream)]):
        assert time.monotonic() < deadline, "the display's stream reached no process"
        time.sleep(0.05)
    # One process holds it, and sees the display's own address (forwarded by nginx).
    assert len(holders) == 1 and feed.status.connected
    holder = holders[0]
    other = "b" if holder == "a" else "a"

    # Tickets from four dispensers at once, spread over both processes by nginx.
    def take(dispenser: QueueClient, count: int) -> list[str]:
        return [dispenser.take_ticket("legal-aid", new_request_key()).number
                for _ in range(count)]

    with ThreadPoolExecutor(4) as pool:
        first = [n for batch in pool.map(take, dispensers, [5] * 4) for n in batch]
    assert sorted(first) == [f"A{n:03d}" for n in range(1, 21)]
    for name in processes:
        assert log_lines(tmp_path, name, r'"POST /api/v1/queue/tickets HTTP/1.1" 201'), \
            f"process {name} issued no ticket: nginx sent it nothing"
    # Upstream keep-alive: nginx keeps connections to both processes open between requests.
    [worker] = nginx.children()
    assert idle_connections(worker, ports[other]) >= 1
    assert idle_connections(worker, ports[holder]) >= 2  # the stream and an idle one

    # A call through nginx reaches the display's stream at once (nothing buffered).
    window = StaffSession(proxy, "staff1-QX-01", PASSWORD)
    sent = time.monotonic()
    # (Of tickets issued in the same milliseconds, the first to arrive is called first; that
    # is not always the lowest number.)
    number = window.post("/windows/1/call-next").json()["number"]
    assert number in first
    seen: list[QueueEvent] = []
    called, received = next_event(events, "called", seen)
    assert (called.number, called.window) == (number, 1)
    first_call = called
    assert received - sent < 1.0
    assert sorted(e.number or "" for e in seen if e.kind == "issued") == sorted(first)

    # Real client addresses: failed sign-ins are counted per visitor address, not per proxy.
    guesser = from_address(requests.Session(), "127.0.0.3")
    for attempt in range(PER_ADDRESS):
        answer = guesser.post(f"{proxy}/api/v1/session", timeout=10,
                              headers={"X-Forwarded-For": f"203.0.113.{attempt}"},  # ignored
                              json={"username": f"nobody{attempt}", "password": "guess"})
        assert answer.status_code == 401
    refused = guesser.post(f"{proxy}/api/v1/session", timeout=10, headers={
        "X-Forwarded-For": "203.0.113.99"}, json={"username": "staff2-QX-01",
                                                  "password": PASSWORD})
    assert refused.status_code == 429  # this address, on whichever process
    other_visitor = from_address(requests.Session(), "127.0.0.4")
    signed_in = other_visitor.post(f"{proxy}/api/v1/session", timeout=10, json={
        "username": "staff2-QX-01", "password": PASSWORD})
    assert signed_in.status_code == 200  # another address is not locked out
    with database.sessions() as session:
        assert session.scalars(select(LoginFailure.client)).all() == ["127.0.0.3"] * PER_ADDRESS

    # The process holding the stream dies: the display reconnects through nginx to the other.
    reconnects = feed.status.reconnects
    processes[holder].send_signal(signal.SIGKILL)
    processes[holder].wait(10)
    killed = time.monotonic()
    deadline = killed + 15
    while not (feed.status.connected and feed.status.reconnects > reconnects
               and len(log_lines(tmp_path, other, stream)) == 1):
        assert time.monotonic() < deadline, "the display did not reconnect through nginx"
        time.sleep(0.05)
    reconnected = time.monotonic() - killed
    assert reconnected < 5.0
    # Calls and tickets go on through the survivor, and reach the display on its new stream.
    late = dispensers[0].take_ticket("legal-aid", new_request_key())
    assert late.number == "A021"
    # The visitor follows that ticket on the phone page's stream, through nginx too.
    phone = from_address(requests.Session(), "127.0.0.5").get(
        f"{proxy}/t/{late.token}/events", stream=True, timeout=(5, 30))
    assert phone.status_code == 200
    assert phone.headers["Content-Type"].startswith("text/event-stream")
    statuses: queue.Queue[tuple[dict[str, Any], float]] = queue.Queue()

    def listen() -> None:
        try:
            for _id, _name, data in parse_events(phone.iter_content(chunk_size=None)):
                statuses.put((data, time.monotonic()))
        except requests.RequestException:
            pass  # nginx stopped at the end of the test

    threading.Thread(target=listen, daemon=True).start()
    assert window.post(f"/windows/1/tickets/{first_call.ticket}/finish").status_code == 200
    sent = time.monotonic()
    number = window.post("/windows/1/call-next").json()["number"]
    assert number in first and number != first_call.number
    seen = []
    called, received = next_event(events, "called", seen)
    assert (called.number, called.window) == (number, 1)
    assert received - sent < 1.0
    # Nothing lost or replayed twice across the reconnection.
    assert [(e.kind, e.number) for e in seen] == [
        ("issued", "A021"), ("finished", first_call.number), ("called", number)]
    while True:  # the phone page hears its ticket move up as soon as the call is made
        status, heard = statuses.get(timeout=10)
        if heard >= sent:
            break
    assert status["number"] == "A021" and heard - sent < 1.0
    with ThreadPoolExecutor(4) as pool:
        later = [n for batch in pool.map(take, dispensers, [3] * 4) for n in batch]
    assert sorted(later) == [f"A{n:03d}" for n in range(22, 34)]
    feed.stop()
    with database.sessions() as session:  # every ticket stored once, numbers contiguous
        numbers = session.scalars(select(Ticket.number)).all()
    assert sorted(numbers) == [f"A{n:03d}" for n in range(1, 34)]
    for client in clients:
        client.close()
