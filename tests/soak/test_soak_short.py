"""The soak, short: 60 visitors in 60 s on real processes (PostgreSQL, the server, five
headless terminals), with the server killed, the display's network cut and the dispenser's
printer out of paper on the way; nothing may be lost or done twice.

The long run with memory figures is bench/bench_soak.py (same code).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from devtools.soak.processes import Faults
from devtools.soak.run import soak_day


def test_a_short_day_keeps_every_ticket_rating_complaint_and_call_exactly_once(
        tmp_path: Path) -> None:
    started = time.monotonic()
    faults = Faults(server_kill=0.25, network_drop=0.45, paper_out=0.6, postgres_restart=None)
    soak, report = soak_day(tmp_path / "soak", minutes=1.0, visitors=60, faults=faults,
                            drain_seconds=45)
    print("\n".join(report.lines))
    print(f"short soak: {time.monotonic() - started:.0f} s wall")
    # Memory needs the long run to say anything; every other check must pass here.
    assert [line for line in report.failures if not line.startswith("memory")] == []
    # The faults happened, and were felt.
    assert soak.restarts == ["server"]
    assert soak.proxies["display"].drops == 1
    dispenser = [json.loads(line) for line in
                 (tmp_path / "soak" / "dispenser" / "soak-journal.jsonl").read_text().splitlines()]
    tickets = [r for r in dispenser if r["kind"] == "ticket"]
    assert len(tickets) == 60
    assert any(not r["printed"] for r in tickets), "no ticket met the paper-out"
    assert any(r["printed"] for r in tickets)
    assert any(r["kind"] == "ticket_failed" and r["code"] == "offline" for r in dispenser), \
        "no visitor met the server being down"
