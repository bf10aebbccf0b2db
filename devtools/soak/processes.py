"""The soak's processes and what they showed: PostgreSQL, the server and the terminals
started and restarted, commands sent to the terminals, memory sampled (:class:`Soak`);
and when each fault comes (:class:`Faults`).

Times are given for the reference run of 30 minutes and scaled to the run's length: in a
10-minute run the network is down for 40 s instead of 2 minutes.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from devtools.postgres import PostgresCluster
from devtools.server_process import ROOT, start_server
from devtools.soak.proxy import TcpProxy

log = logging.getLogger(__name__)
REFERENCE_MINUTES = 30.0


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


def sleep_until(soak: Soak, seconds: float, stop: threading.Event) -> bool:
    """Wait until seconds into the run; False if stopped first."""
    return not stop.wait(max(0.0, soak.started + seconds - time.monotonic()))
