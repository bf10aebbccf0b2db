"""The soak run: PostgreSQL, the server and five terminals as processes, a generated day of
visitors, faults on a schedule, then the checks (devtools.soak.checks).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from devtools.soak.faults import run_faults
from devtools.soak.prepare import TERMINALS, prepare
from devtools.soak.processes import Faults, Soak, sleep_until
from devtools.soak.terminal import JOURNAL
from devtools.soak.visitors import run_visitors, staff_worker


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
    sleep_until(soak, soak.seconds, stop)
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
