"""The soak run: PostgreSQL, the server and five terminals as processes, a generated day of
visitors, faults on a schedule, then the checks (devtools.soak.checks).

Times are given for the reference run of 30 minutes and scaled to the run's length: in a
10-minute run the network is down for 40 s instead of 2 minutes.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests

from devtools.postgres import PostgresCluster
from devtools.server_process import ROOT, start_server
from devtools.soak.proxy import TcpProxy
from devtools.soak.terminal import JOURNAL

log = logging.getLogger(__name__)
REFERENCE_MINUTES = 30.0
PASSWORD = "soak-staff-pass"
HALL = ("SOAK-01", "青溪市公共法律服务中心（浸泡测试）")
SETUP = {
    "services": [
        {"code": "legal-aid", "name": "法律援助", "prefix": "A", "daily_cap": 999},
        {"code": "consult", "name": "法律咨询", "prefix": "B", "daily_cap": 999},
    ],
    "windows": [
        {"number": 1, "name": "法律援助窗口", "services": ["legal-aid", "consult"]},
        {"number": 2, "name": "综合服务窗口", "services": ["legal-aid", "consult"]},
    ],
}
# name, profile, extra TOML
TERMINALS = (("query", "query", ""), ("dispenser", "dispenser", ""),
             ("display", "display", ""), ("rater1", "rater", "[rater]\nwindow = 1\n"),
             ("rater2", "rater", "[rater]\nwindow = 2\n"))
COMPLAINT_SHARE = 0.05
CATEGORIES = ("waiting", "attitude", "suggestion", "process", "environment")


@dataclass
class Faults:
    """When each fault starts (fraction of the day) and how long it lasts (reference
    seconds in a 30-minute run); None leaves it out."""

    server_kill: float | None = 0.25
    network_drop: float | None = 0.45
    network_seconds: float = 120.0
    drop_terminal: str = "display"
    paper_out: float | None = 0.6
    paper_seconds: float = 300.0
    postgres_restart: float | None = 0.8


@dataclass
class Soak:
    """Everything one run started, and what it saw."""

    folder: Path
    minutes: float
    visitors: int
    faults: Faults
    seed: int = 12
    postgres: PostgresCluster | None = None
    server: subprocess.Popen[bytes] | None = None
    server_url: str = ""
    server_port: int = 0
    terminals: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    proxies: dict[str, TcpProxy] = field(default_factory=dict)
    restarts: list[str] = field(default_factory=list)  # what the test restarted, in order
    pids: dict[str, list[int]] = field(default_factory=dict)  # process name -> pids it had
    rss: list[tuple[float, dict[str, float]]] = field(default_factory=list)  # (s, MB by name)
    rss_pids: list[dict[str, int]] = field(default_factory=list)  # the pid of each sample
    events: list[tuple[float, str]] = field(default_factory=list)
    staff_done: dict[int, int] = field(default_factory=dict)
    started: float = 0.0  # when the day began (monotonic)
    created: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def scale(self) -> float:
        """Run seconds per reference second."""
        return self.minutes / REFERENCE_MINUTES

    @property
    def seconds(self) -> float:
        """The day's length in run seconds."""
        return self.minutes * 60

    def note(self, text: str) -> None:
        """Log a fault or step with its time into the day (or into the set-up, before it)."""
        phase = "soak" if self.started else "set-up"
        at = time.monotonic() - (self.started or self.created)
        self.events.append((at, text))
        log.info("%s %6.1f s: %s", phase, at, text)
        print(f"[{phase} {at:7.1f} s] {text}", file=sys.stderr, flush=True)

    # Processes --------------------------------------------------------------------------
    def start_postgres(self) -> str:
        """A private cluster (its own folder, its own port)."""
        self.postgres = PostgresCluster()
        url = self.postgres.create()
        self._pid("postgres", self.postgres.postmaster_pid())
        return url

    def start_server_process(self, database_url: str) -> None:
        """``hallkiosk server`` on the run's port (the same after each restart)."""
        self.server, self.server_url = start_server(
            database_url, self.folder, "server", self.server_port,
            {"HALLKIOSK_CONTENT_PUBLIC_KEY": str(self.folder / "keys" / "content.key.pub")})
        self.server_port = int(self.server_url.rsplit(":", 1)[1])
        self._pid("server", self.server.pid)

    def start_terminal(self, name: str) -> None:
        """The terminal process of name (its folder was prepared by prepare_terminal)."""
        folder = self.folder / name
        log_file = open(folder / "process.log", "ab")  # the child keeps its own copy
        env = {**os.environ, "PYTHONPATH": str(ROOT), "KIVY_NO_ARGS": "1",
               "KIVY_NO_CONSOLELOG": "1", "KIVY_NO_FILELOG": "1",
               "KIVY_HOME": str(folder / "kivy")}
        process = subprocess.Popen(
            [sys.executable, "-m", "devtools.soak.terminal", str(folder / "terminal.toml")],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=log_file,
            stderr=subprocess.STDOUT)
        log_file.close()
        self.terminals[name] = process
        self._pid(name, process.pid)

    def _pid(self, name: str, pid: int | None) -> None:
        if pid is not None:
            self.pids.setdefault(name, []).append(pid)

    def send(self, name: str, **command: Any) -> None:
        """One command line to terminal name."""
        stdin = self.terminals[name].stdin
        assert stdin is not None
        try:
            with self._lock:
                stdin.write((json.dumps(command, ensure_ascii=False) + "\n").encode())
                stdin.flush()
        except OSError as error:  # it died: the checks report it
            self.note(f"{name} does not take commands: {error}")

    def processes(self) -> dict[str, list[psutil.Process]]:
        """The processes to measure, by name (PostgreSQL: the postmaster and its children)."""
        found: dict[str, list[psutil.Process]] = {}
        named: dict[str, int | None] = {
            "server": self.server.pid if self.server else None,
            **{name: process.pid for name, process in self.terminals.items()}}
        for name, pid in named.items():
            try:
                found[name] = [psutil.Process(pid)] if pid else []
            except psutil.NoSuchProcess:
                found[name] = []
        postmaster = self.postgres.postmaster_pid() if self.postgres else None
        try:
            main = psutil.Process(postmaster) if postmaster else None
            found["postgres"] = [main, *main.children()] if main else []
        except psutil.NoSuchProcess:
            found["postgres"] = []
        return found

    def sample_rss(self) -> None:
        """RSS in MB of every process now (PostgreSQL: PSS over all its processes)."""
        sample: dict[str, float] = {}
        pids: dict[str, int] = {}
        for name, processes in self.processes().items():
            pids[name] = processes[0].pid if processes else 0
            total = 0.0
            for process in processes:
                try:
                    # PostgreSQL: PSS summed over its processes, so that the shared buffers
                    # count once, not once per backend; the others: RSS.
                    total += (process.memory_full_info().pss if name == "postgres"
                              else process.memory_info().rss) / 1e6
                except psutil.NoSuchProcess:
                    continue
            sample[name] = total
        self.rss.append((time.monotonic() - self.started, sample))
        self.rss_pids.append(pids)


def prepare(soak: Soak) -> dict[str, Any]:
    """PostgreSQL, the hall and accounts, the server, the published seed, enrolled terminals."""
    from content.install import SEED
    from content.publish import publish
    from content.signing import build_signed_bundle, generate_key, load_private_key
    from provisioning.enrol import enrol
    from server.app import create_app
    from server.fleet.actions import create_hall
    from server.fleet.enrolment import create_enrolment_token
    from server.queue.setup import apply_setup, load_setup
    from server.security import create_user
    from server.settings import ServerSettings

    soak.folder.mkdir(parents=True, exist_ok=True)
    database_url = soak.start_postgres()
    key = soak.folder / "keys" / "content.key"
    generate_key(key)
    settings = ServerSettings(database_url=database_url, storage_dir=soak.folder / "storage",
                              content_public_key=key.with_name("content.key.pub"))
    database = create_app(settings).state.database  # migrates the database
    with database.sessions() as session, session.begin():
        hall = create_hall(session, *HALL, level="city")
        apply_setup(session, hall, load_setup(SETUP))
        for number in (1, 2):
            create_user(session, f"staff{number}", PASSWORD, "staff", HALL[0],
                        full_name=f"窗口{number}", staff_no=f"010{number}")
        create_user(session, "editor", PASSWORD, "editor")
        session.flush()
        hall_id = hall.id
    soak.start_server_process(database_url)
    bundle = soak.folder / "bundle"
    build_signed_bundle(SEED, bundle, key=load_private_key(key))
    published = publish(bundle, soak.server_url, "editor", PASSWORD, progress=log.info)
    soak.note("PostgreSQL, hall, server and content ready")
    for name, profile, extra in TERMINALS:
        folder = (soak.folder / name).resolve()
        proxy = soak.proxies[name] = TcpProxy(soak.server_port)
        with database.sessions() as session, session.begin():
            token, _record = create_enrolment_token(session, hall_id, profile, hours=1)
        enrol(proxy.url, folder, token, wait=10)
        (folder / "terminal.toml").write_text(
            "[terminal]\n"
            f'profile = "{profile}"\ndata_dir = "{folder}"\nfullscreen = false\n'
            "heartbeat_interval = 10\nsync_interval = 20\n"
            f'[printer]\nkind = "simulated"\ndirectory = "{folder / "printer"}"\n'
            "paper_width = 80\nstatus_interval = 1\n"
            f'[speech]\nwav_dir = "{folder / "speech"}"\n'
            "[display]\nannounce_max_age = 120\n" + extra, "utf-8")
    database.engine.dispose()
    return {"database_url": database_url, "hall_id": hall_id, "published": published}


def visitor_plan(soak: Soak) -> list[tuple[float, int, str, bool]]:
    """(run seconds, visitor, service, complains) for the day: arrivals peak mid-morning and
    mid-afternoon, none in the last tenth so the queue can empty."""
    rng = random.Random(soak.seed)
    plan = []
    for visitor in range(1, soak.visitors + 1):
        morning = rng.random() < 0.6
        at = rng.triangular(0.0, 0.45, 0.18) if morning else rng.triangular(0.45, 0.88, 0.62)
        plan.append((at * soak.seconds, visitor, rng.choice(("legal-aid", "consult")),
                     rng.random() < COMPLAINT_SHARE))
    return sorted(plan)


def _at(soak: Soak, seconds: float, stop: threading.Event) -> bool:
    """Wait until seconds into the run; False if stopped first."""
    return not stop.wait(max(0.0, soak.started + seconds - time.monotonic()))


def run_visitors(soak: Soak, stop: threading.Event) -> None:
    """Each visitor takes a ticket at the dispenser; some leave a complaint at the query
    terminal (a phone number unique to the visitor)."""
    for at, visitor, service, complains in visitor_plan(soak):
        if not _at(soak, at, stop):
            return
        soak.send("dispenser", op="ticket", service=service, key=uuid.uuid4().hex,
                  visitor=visitor)
        if complains:
            soak.send("query", op="complain", category=CATEGORIES[visitor % len(CATEGORIES)],
                      phone=f"139{visitor:08d}")


def staff_worker(soak: Soak, number: int, stop: threading.Event,
                 day_over: threading.Event) -> None:
    """A staff member at window number: 叫号, sometimes 重呼, serves, 办结; retries through
    outages. A call whose reply was lost leaves that ticket called and unfinished."""
    from devtools.staff_client import StaffSession

    rng = random.Random(soak.seed * 10 + number)
    serve = (soak.seconds / max(1, soak.visitors)) * 2 * 0.6  # two windows, kept ahead
    session: StaffSession | None = None
    done = 0
    while not stop.is_set():
        try:
            if session is None:
                session = StaffSession(soak.server_url, f"staff{number}", PASSWORD)
                session.post(f"/windows/{number}/sign-in").raise_for_status()
            reply = session.post(f"/windows/{number}/call-next")
            if reply.status_code != 200:
                if reply.status_code == 409 and reply.json().get("error") == "window_busy":
                    # The call went through but its reply was lost in an outage: the
                    # console shows the ticket at the window; serve it.
                    ticket = _current(session, number)
                elif day_over.is_set():
                    break
                else:
                    stop.wait(0.5)
                    continue
            else:
                ticket = reply.json()
            stop.wait(rng.uniform(0.3, 1.0) * serve)
            if rng.random() < 0.05:
                session.post(f"/windows/{number}/tickets/{ticket['id']}/recall")
                stop.wait(0.3 * serve)
            _until_ok(session, f"/windows/{number}/tickets/{ticket['id']}/finish", stop)
            done += 1
        except (requests.RequestException, RuntimeError, ValueError) as error:
            log.info("staff%d: %s; trying again", number, error)
            session = None
            stop.wait(1.0)
    soak.staff_done[number] = done


def _current(session: Any, number: int) -> dict[str, Any]:
    """The ticket at window number, as the staff console shows it."""
    board = session.get("/staff/board").json()
    window = next(w for w in board["windows"] if w["number"] == number)
    if not window.get("current"):
        raise RuntimeError(f"window {number} is busy but shows no ticket")
    current: dict[str, Any] = window["current"]
    return current


def _until_ok(session: Any, path: str, stop: threading.Event) -> None:
    """POST path until the server answers it (an outage delays 办结, never skips it)."""
    while not stop.is_set():
        try:
            reply = session.post(path)
            if reply.status_code < 500:
                return
        except requests.RequestException:
            pass
        stop.wait(1.0)


def run_faults(soak: Soak, database_url: str, stop: threading.Event) -> None:
    """The faults, in the order of their start times."""
    faults = soak.faults
    plan: list[tuple[float, str]] = []
    for start, name in ((faults.server_kill, "server"), (faults.network_drop, "network"),
                        (faults.paper_out, "paper"), (faults.postgres_restart, "postgres")):
        if start is not None:
            plan.append((start * soak.seconds, name))
    for start, name in sorted(plan):
        if not _at(soak, start, stop):
            return
        if name == "server":
            assert soak.server is not None
            soak.note(f"server killed (SIGKILL, pid {soak.server.pid})")
            soak.server.send_signal(signal.SIGKILL)
            soak.server.wait()
            stop.wait(max(1.0, 10 * soak.scale))
            soak.restarts.append("server")
            soak.start_server_process(database_url)
            soak.note(f"server restarted (pid {soak.server.pid})")
        elif name == "network":
            proxy = soak.proxies[faults.drop_terminal]
            seconds = faults.network_seconds * soak.scale
            soak.note(f"network to the {faults.drop_terminal} down for {seconds:.0f} s")
            proxy.drop()
            threading.Timer(seconds, _network_back, args=(soak, proxy)).start()
        elif name == "paper":
            status = soak.folder / "dispenser" / "printer" / "status"
            seconds = faults.paper_seconds * soak.scale
            soak.note(f"dispenser printer out of paper for {seconds:.0f} s")
            status.write_text("paper_out", "utf-8")
            threading.Timer(seconds, _paper_back, args=(soak, status)).start()
        elif name == "postgres":
            assert soak.postgres is not None
            soak.note("PostgreSQL restarting (fast stop, then start)")
            soak.postgres.stop("fast")
            stop.wait(max(1.0, 5 * soak.scale))
            soak.restarts.append("postgres")
            soak.postgres.start()
            soak._pid("postgres", soak.postgres.postmaster_pid())
            soak.note("PostgreSQL back")


def _network_back(soak: Soak, proxy: TcpProxy) -> None:
    proxy.restore()
    soak.note(f"network to the {soak.faults.drop_terminal} back")


def _paper_back(soak: Soak, status: Path) -> None:
    status.write_text("", "utf-8")
    soak.note("paper refilled")


def run_rss(soak: Soak, stop: threading.Event) -> None:
    """RSS of every process every 5 reference minutes (and at the start and end)."""
    interval = 300 * soak.scale
    soak.sample_rss()
    while not stop.wait(interval):
        soak.sample_rss()


def run_day(soak: Soak, prepared: dict[str, Any], drain_seconds: float) -> None:
    """The day: terminals, staff, visitors and faults; then the queue empties and every
    terminal's outbox is delivered; then every process stops."""
    for name, _profile, _extra in TERMINALS:
        soak.start_terminal(name)
    deadline = time.monotonic() + 120
    for name, process in soak.terminals.items():
        while not (soak.folder / name / JOURNAL).exists():
            if process.poll() is not None or time.monotonic() > deadline:
                log_text = (soak.folder / name / "process.log").read_text("utf-8", "replace")
                raise RuntimeError(f"terminal {name} did not start:\n{log_text[-3000:]}")
            time.sleep(0.2)
    soak.note("terminals started")
    time.sleep(3)  # the terminals connect and follow the feed
    soak.started = time.monotonic()
    stop, day_over, rss_stop = threading.Event(), threading.Event(), threading.Event()
    threads = [threading.Thread(target=run_visitors, args=(soak, stop), name="visitors"),
               threading.Thread(target=run_faults, args=(soak, prepared["database_url"], stop),
                                name="faults"),
               threading.Thread(target=run_rss, args=(soak, rss_stop), name="rss")]
    threads += [threading.Thread(target=staff_worker, args=(soak, number, stop, day_over),
                                 name=f"staff{number}") for number in (1, 2)]
    for thread in threads:
        thread.start()
    threads[0].join()  # every visitor has arrived
    threads[1].join(soak.seconds)
    soak.note("last visitor arrived")
    _at(soak, soak.seconds, stop)
    day_over.set()
    deadline = time.monotonic() + drain_seconds
    for thread in threads[3:]:
        thread.join(max(0.1, deadline - time.monotonic()))
    stop.set()
    soak.note(f"day over; windows served {soak.staff_done}")
    _wait_delivered(soak, deadline, prepared)
    rss_stop.set()
    threads[2].join()
    soak.sample_rss()
    for name in soak.terminals:
        soak.send(name, op="quit")
    soak.note("outboxes delivered; terminals told to quit")
    for name, process in soak.terminals.items():
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            soak.note(f"{name} did not stop: killed")
            process.kill()


def _wait_delivered(soak: Soak, deadline: float, prepared: dict[str, Any]) -> None:
    """Until every terminal's outbox is empty and every terminal runs the published content
    and has told the server so in a heartbeat (they report on request; syncs and heartbeats
    keep their own intervals, which a network cut or server restart late in a short day can
    push past the day's end)."""
    from sqlalchemy import create_engine, text

    version = str(prepared["published"].get("version", ""))
    engine = create_engine(prepared["database_url"])
    try:
        while time.monotonic() < deadline + 60:
            for name in soak.terminals:
                soak.send(name, op="status")
            time.sleep(1)
            status = {name: _last(soak.folder / name, "status") for name in soak.terminals}
            pending = {name: s.get("outbox_pending", -1) for name, s in status.items()}
            with engine.connect() as db:
                rows = db.execute(text("SELECT id, profile, health FROM terminal "
                                       "WHERE hall_id = :h"), {"h": prepared["hall_id"]}).all()
            # by id: enrolled terminals have no name of their own, two are raters
            reported = {f"{row.profile}#{row.id}": (
                row.health if isinstance(row.health, dict)
                else json.loads(row.health or "{}")).get("content_version") for row in rows}
            behind = {name: value for name, value in reported.items() if value != version}
            if (all(value == 0 for value in pending.values()) and not behind
                    and len(reported) == len(soak.terminals)):
                return
            soak.note(f"outboxes pending: {pending}; content not yet reported: {behind}")
        soak.note("outboxes not empty or content not reported at the deadline")
    finally:
        engine.dispose()


def _last(folder: Path, kind: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    with (folder / JOURNAL).open(encoding="utf-8") as journal:
        for line in journal:
            record = json.loads(line)
            if record["kind"] == kind:
                found = record
    return found


def stop_all(soak: Soak) -> None:
    """Stop whatever still runs (the order: terminals, server, proxies, PostgreSQL)."""
    for process in soak.terminals.values():
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
    if soak.server is not None and soak.server.poll() is None:
        soak.server.terminate()
        try:
            soak.server.wait(20)
        except subprocess.TimeoutExpired:
            soak.server.kill()
    for process in soak.terminals.values():
        if process.stdin is not None:
            try:
                process.stdin.close()
            except OSError:  # its reader is gone: nothing to flush
                pass
    for proxy in soak.proxies.values():
        proxy.close()


def soak_day(folder: Path, *, minutes: float, visitors: int, faults: Faults,
             drain_seconds: float = 60.0) -> tuple[Soak, Any]:
    """Run the whole soak in folder and check it; return the run and its report."""
    from devtools.soak.checks import check_soak

    soak = Soak(folder, minutes, visitors, faults)
    try:
        prepared = prepare(soak)
        run_day(soak, prepared, drain_seconds)
        report = check_soak(soak, prepared["database_url"], prepared["hall_id"])
    finally:
        stop_all(soak)
        if soak.postgres is not None:
            soak.postgres.remove()
    return soak, report
