"""What a soak run must show at the end: each a line of figures, failing or not."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from devices.announcer import Call, call_text
from devtools.soak.prepare import TERMINALS
from devtools.soak.processes import Soak
from devtools.soak.terminal import JOURNAL

LOG_CAP = 5_000_000  # the terminal's RotatingFileHandler: 5 MB a file, 3 kept
LOG_FILES = 4
PROCESS_LOG_CAP = 50_000_000  # stdout/stderr of a process as the soak keeps it
RSS_GROWTH_MB = 25.0  # last sample vs first after the warm-up, same process
WARMUP = 1 / 6  # of the day
TIME_SLACK = 0.05  # seconds around the terminal's own before/after stamps
CALL_KINDS = ("called", "recalled", "resumed")


@dataclass
class Report:
    """Lines of figures and the failures among them."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def check(self, ok: bool, line: str) -> None:
        """One figure: ok or a failure."""
        self.lines.append(("ok    " if ok else "FAIL  ") + line)
        if not ok:
            self.failures.append(line)

    def info(self, line: str) -> None:
        """A figure that is not a pass/fail."""
        self.lines.append("      " + line)


def journal(folder: Path) -> list[dict[str, Any]]:
    """A terminal's journal records."""
    path = folder / JOURNAL
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


def _utc(value: dt.datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()


def check_soak(soak: Soak, database_url: str, hall_id: int) -> Report:
    """Every invariant of the run, from the database and the terminals' journals."""
    report = Report()
    journals = {name: journal(soak.folder / name) for name, _p, _e in TERMINALS}
    engine = create_engine(database_url)
    with engine.connect() as db:
        _tickets(report, soak, journals["dispenser"], db, hall_id)
        _ratings(report, journals, db)
        _complaints(report, journals["query"], db, hall_id)
        _spoken(report, soak, journals["display"], db, hall_id)
        _terminals(report, db, hall_id)
    engine.dispose()
    _processes(report, soak, journals)
    _logs(report, soak)
    _traffic(report, soak)
    _memory(report, soak)
    return report


def _tickets(report: Report, soak: Soak, records: list[dict[str, Any]], db: Any,
             hall_id: int) -> None:
    issued = [r for r in records if r["kind"] == "ticket"]
    failed = [r for r in records if r["kind"] == "ticket_failed"]
    rows = db.execute(text("SELECT id, number, idempotency_key FROM ticket WHERE hall_id = :h"),
                      {"h": hall_id}).all()
    by_key = Counter(row.idempotency_key for row in rows)
    keys = Counter(r["key"] for r in issued)
    visitors = {r["visitor"] for r in issued}
    report.check(len(visitors) == soak.visitors and all(n == 1 for n in keys.values()),
                 f"tickets: {len(issued)} handed to {len(visitors)} of {soak.visitors} visitors "
                 f"({len(failed)} presses refused while offline, retried with the same key)")
    same = all(by_key.get(r["key"]) == 1 for r in issued)
    ids = {(row.idempotency_key, row.id, row.number) for row in rows}
    match = all((r["key"], r["id"], r["number"]) in ids for r in issued)
    report.check(len(rows) == len(issued) and same and match,
                 f"tickets issued exactly once: {len(rows)} in the database, {len(issued)} "
                 f"received by the dispenser, every key once with its id and number")
    printed = [r for r in issued if r["printed"]]
    files = list((soak.folder / "dispenser" / "printer").glob("ticket-*.bin"))
    report.check(len(files) == len(printed),
                 f"printed: {len(printed)} tickets, {len(files)} ESC/POS files; "
                 f"{len(issued) - len(printed)} shown on screen only (printer out of paper)")
    called = db.execute(text(
        "SELECT e.ticket_id, count(*) AS n FROM ticket_event e JOIN ticket t ON t.id = "
        "e.ticket_id WHERE t.hall_id = :h AND e.kind = 'called' GROUP BY e.ticket_id"),
        {"h": hall_id}).all()
    twice = [row.ticket_id for row in called if row.n > 1]
    finished = db.execute(text("SELECT count(*) FROM ticket WHERE hall_id = :h AND state = "
                               "'finished'"), {"h": hall_id}).scalar_one()
    report.check(not twice, f"called at most once: {len(called)} tickets called, "
                            f"{finished} finished, called twice: {twice[:10]}")


def _ratings(report: Report, journals: dict[str, list[dict[str, Any]]], db: Any) -> None:
    rated = [r for name in ("rater1", "rater2") for r in journals[name] if r["kind"] == "rated"]
    skipped = sum(r["kind"] == "not_rated" for name in ("rater1", "rater2")
                  for r in journals[name])
    rows = db.execute(text("SELECT ticket_id, level, created_at, received_at FROM rating")).all()
    by_ticket = Counter(row.ticket_id for row in rows)
    stored = {row.ticket_id: row for row in rows}
    once = all(by_ticket.get(r["ticket"]) == 1 for r in rated) and len(rows) == len(rated)
    report.check(once, f"ratings stored exactly once: {len(rated)} given at the pads "
                       f"({skipped} visitors did not rate), {len(rows)} in the database")
    wrong_time = [r["ticket"] for r in rated if r["ticket"] in stored and not (
        r["before"] - TIME_SLACK <= _utc(stored[r["ticket"]].created_at)
        <= r["after"] + TIME_SLACK)]
    wrong_level = [r["ticket"] for r in rated if r["ticket"] in stored
                   and stored[r["ticket"]].level != r["level"]]
    late = sum(_utc(row.received_at) - _utc(row.created_at) > 5 for row in rows)
    report.check(not wrong_time and not wrong_level,
                 f"ratings keep the visitor's time and level: {len(wrong_time)} wrong times, "
                 f"{len(wrong_level)} wrong levels; {late} arrived > 5 s after they were given")


def _complaints(report: Report, records: list[dict[str, Any]], db: Any, hall_id: int) -> None:
    before = {r["phone"]: r["t"] for r in records if r["kind"] == "complaint_sent_before"}
    sent = {r["phone"]: r["t"] for r in records if r["kind"] == "complaint_sent"}
    rows = db.execute(text("SELECT phone, created_at FROM complaint WHERE hall_id = :h"),
                      {"h": hall_id}).all()
    by_phone = Counter(row.phone for row in rows)
    once = len(rows) == len(sent) and all(by_phone.get(phone) == 1 for phone in sent)
    report.check(once, f"complaints stored exactly once: {len(sent)} left at the query "
                       f"terminal, {len(rows)} in the database")
    wrong = [row.phone for row in rows if row.phone in sent and not (
        before[row.phone] - TIME_SLACK <= _utc(row.created_at) <= sent[row.phone] + TIME_SLACK)]
    report.check(not wrong, f"complaints keep the visitor's time: {len(wrong)} wrong")


def _spoken(report: Report, soak: Soak, records: list[dict[str, Any]], db: Any,
            hall_id: int) -> None:
    rows = db.execute(text("SELECT id, kind, payload, created_at FROM queue_event WHERE "
                           "hall_id = :h ORDER BY id"), {"h": hall_id}).all()
    expected: Counter[str] = Counter()
    for row in rows:
        if row.kind in CALL_KINDS:
            payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
            call = Call(row.id, payload["number"], int(payload["window"]),
                        recall=row.kind == "recalled", called_at=dt.datetime.now(dt.UTC))
            expected[call_text(call)] += 1
    spoken = Counter(r["text"] for r in records if r["kind"] == "spoken"
                     and r["language"] == "zh")
    stopped = next((r for r in records if r["kind"] == "stopped"), {})
    stale = int(stopped.get("skipped_stale", -1))
    extra, missing = spoken - expected, expected - spoken
    twice = [words for words, count in spoken.items() if count > 1]
    wavs = list((soak.folder / "display" / "speech").glob("*-zh.wav"))
    report.check(not extra and not twice and sum(missing.values()) == stale
                 and len(wavs) == sum(spoken.values()),
                 f"calls spoken once: {sum(expected.values())} call events, "
                 f"{sum(spoken.values())} spoken ({len(wavs)} WAV files), "
                 f"{stale} not spoken as older than the display's max age, spoken twice: "
                 f"{len(twice)}, spoken but never called: {sum(extra.values())}")


def _terminals(report: Report, db: Any, hall_id: int) -> None:
    rows = db.execute(text("SELECT name, profile, health, last_seen_at FROM terminal WHERE "
                           "hall_id = :h"), {"h": hall_id}).all()
    version = db.execute(text("SELECT version FROM bundle ORDER BY id DESC LIMIT 1")).scalar()
    lines, ok = [], len(rows) == len(TERMINALS)
    for row in rows:
        health = row.health if isinstance(row.health, dict) else json.loads(row.health or "{}")
        have = str(health.get("content_version", ""))
        ok = ok and row.last_seen_at is not None and have == str(version)
        lines.append(f"{row.profile}:{have or '-'}")
    report.check(ok, f"heartbeats and content sync: every terminal reported content "
                     f"{version} ({', '.join(lines)})")


def _processes(report: Report, soak: Soak, journals: dict[str, list[dict[str, Any]]]) -> None:
    restarted = Counter(soak.restarts)
    bad = []
    for name, pids in soak.pids.items():
        if len(set(pids)) != 1 + restarted.get(name, 0):
            bad.append(f"{name} had pids {pids}")
    if soak.server is None or soak.server.poll() is not None:
        bad.append("the server is not running at the end")
    if soak.postgres is None or soak.postgres.postmaster_pid() not in soak.pids["postgres"][-1:]:
        bad.append("PostgreSQL is not the one the test started last")
    for name, process in soak.terminals.items():
        starts = sum(r["kind"] == "started" for r in journals[name])
        if starts != 1 or process.returncode != 0:
            bad.append(f"{name} started {starts} times, exit {process.returncode}")
    report.check(not bad, "no process restarted but by the test (server "
                          f"{restarted.get('server', 0)}x, PostgreSQL "
                          f"{restarted.get('postgres', 0)}x): {bad or 'none other'}")


def _logs(report: Report, soak: Soak) -> None:
    sizes, bad = [], []
    for name, _profile, _extra in TERMINALS:
        files = sorted((soak.folder / name / "logs").glob("terminal.log*"))
        biggest = max((f.stat().st_size for f in files), default=0)
        if len(files) > LOG_FILES or biggest > LOG_CAP:
            bad.append(name)
        process_log = (soak.folder / name / "process.log").stat().st_size
        if process_log > PROCESS_LOG_CAP:
            bad.append(f"{name} process.log")
        sizes.append(f"{name} {sum(f.stat().st_size for f in files) / 1e3:.0f} kB "
                     f"in {len(files)}")
    server_log = (soak.folder / "server.log").stat().st_size
    if server_log > PROCESS_LOG_CAP:
        bad.append("server.log")
    report.check(not bad, f"logs within caps ({LOG_CAP // 1_000_000} MB x {LOG_FILES} per "
                          f"terminal, {PROCESS_LOG_CAP // 1_000_000} MB per process output): "
                          f"{', '.join(sizes)}, server {server_log / 1e3:.0f} kB; over: "
                          f"{bad or 'none'}")


def _traffic(report: Report, soak: Soak) -> None:
    """The terminals' requests the server answered, from its access log."""
    counts: Counter[str] = Counter()
    names = {"POST /api/v1/heartbeat": "heartbeats", "POST /api/v1/outbox": "outbox batches",
             "GET /api/v1/content/manifest": "content syncs",
             "GET /api/v1/queue/events": "feed (re)connections",
             "POST /api/v1/queue/tickets": "ticket requests"}
    with (soak.folder / "server.log").open(encoding="utf-8", errors="replace") as log_file:
        for line in log_file:
            for request, name in names.items():
                if f'"{request}' in line:
                    counts[name] += 1
    report.info("server answered: " + ", ".join(f"{counts[name]} {name}"
                                                for name in names.values()))


def _memory(report: Report, soak: Soak) -> None:
    names = sorted({name for _at, sample in soak.rss for name in sample})
    report.info("RSS MB   " + " ".join(f"{name:>9}" for name in names))
    for at, sample in soak.rss:
        report.info(f"{at:6.0f} s " + " ".join(f"{sample.get(name, 0):9.1f}" for name in names))
    growth: dict[str, str] = {}
    grew = []
    for name in names:
        # The same process as in the last sample (the server and PostgreSQL were restarted),
        # from the first sample after the warm-up.
        last_pid = soak.rss_pids[-1].get(name)
        warm = [(at, sample[name]) for (at, sample), pids in zip(soak.rss, soak.rss_pids,
                                                                   strict=True)
                if at >= WARMUP * soak.seconds and pids.get(name) == last_pid]
        if len(warm) < 2:
            growth[name] = "n/a (too few samples since its start)"
            continue
        change = warm[-1][1] - warm[0][1]
        growth[name] = f"{change:+.1f} MB ({warm[0][0]:.0f}-{warm[-1][0]:.0f} s)"
        if change > RSS_GROWTH_MB:
            grew.append(name)
    report.check(not grew, f"memory flat (last sample vs first after the warm-up, at most "
                           f"+{RSS_GROWTH_MB:.0f} MB): "
                           + ", ".join(f"{name} {value}" for name, value in growth.items()))
