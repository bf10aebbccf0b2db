"""The soak's faults on their schedule: the server killed, a terminal's network cut, the
dispenser's paper out, PostgreSQL restarted; each noted when it starts and ends.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from devtools.soak.processes import Soak, sleep_until
from devtools.soak.proxy import TcpProxy


def run_faults(soak: Soak, database_url: str, stop: threading.Event) -> None:
    """The faults, in the order of their start times."""
    faults = soak.faults
    plan: list[tuple[float, str]] = []
    for start, name in ((faults.server_kill, "server"), (faults.network_drop, "network"),
                        (faults.paper_out, "paper"), (faults.postgres_restart, "postgres")):
        if start is not None:
            plan.append((start * soak.seconds, name))
    for start, name in sorted(plan):
        if not sleep_until(soak, start, stop):
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
