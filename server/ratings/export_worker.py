"""The export outbox: every rating queued once per exporter, delivered in batches, retried.

Each pass first queues (INSERT .. SELECT .. WHERE NOT EXISTS) every rating that has no
ExportItem for an exporter yet, whichever process stored it, then delivers due items.
Delivery claims a batch in one short UPDATE .. RETURNING that leases the items (pushes
next_attempt_at past the send): on PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED,
on SQLite the statement holds the one write lock, so two workers never hold the same item.
The send runs outside any transaction; then the items are marked sent, or get the error
and a retry time that doubles from 30 s up to export_max_backoff. A worker that dies
mid-send leaves its items leased: they are sent again when the lease ends (receivers
de-duplicate by idempotency_id). Items are never deleted.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import DateTime, Integer, String, case, exists, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from server.db import Database
from server.models import utcnow
from server.ratings.comments import SKEW
from server.ratings.export import Exporter, batch_document, build_exporter, rating_records
from server.ratings.models import ExportItem, Rating, RatingComment
from server.ratings.rules import RatingReasons
from server.settings import ExporterConfig, ServerSettings

log = logging.getLogger(__name__)
RETRY_BASE_SECONDS = 30
ERROR_CHARS = 1000


@dataclass
class PassResult:
    """What one pass did for one exporter."""

    sent: int = 0
    failed: int = 0
    error: str = ""


def retry_delay(attempts: int, max_backoff: int) -> dt.timedelta:
    """The wait after the attempts-th failed attempt: 30 s, 60 s, 120 s ... capped."""
    exponent = min(max(attempts - 1, 0), 30)
    return dt.timedelta(seconds=min(max_backoff, RETRY_BASE_SECONDS * 2 ** exponent))


def lease(config: ExporterConfig) -> dt.timedelta:
    """How long a claimed batch is held: well beyond one send's connect and read timeouts."""
    return dt.timedelta(seconds=3 * config.timeout + 60)


def enqueue(session: Session, names: list[str], now: dt.datetime,
            comment_window: dt.timedelta = dt.timedelta(0)) -> int:
    """Queue every rating not yet queued for each exporter name (not committed). A rating
    whose visitor may still write a comment by QR code waits until comment_window after
    it arrived, so the province gets it once, with the comment."""
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    queued = aliased(ExportItem)
    when = literal(now, DateTime(timezone=True))
    total = 0
    for name in names:
        rows = select(literal(name, String), Rating.id, literal("pending", String),
                      literal(0, Integer), when, literal("", String), when).where(
            ~exists().where(queued.exporter == name, queued.rating_id == Rating.id),
            ~exists().where(RatingComment.rating_id == Rating.id,
                            RatingComment.commented_at.is_(None),
                            RatingComment.created_at > now - comment_window))
        # Another worker may queue the same rating at the same moment: the unique
        # (exporter, rating_id) pair keeps one row and the other insert is skipped.
        statement = insert(ExportItem).from_select(
            ["exporter", "rating_id", "state", "attempts", "next_attempt_at", "last_error",
             "created_at"], rows).on_conflict_do_nothing()
        total += max(session.execute(statement).rowcount or 0, 0)  # type: ignore[attr-defined]
    return total


def comment_hold(settings: ServerSettings) -> dt.timedelta:
    """How long after it arrived a rating with a comment token may still get its comment."""
    return dt.timedelta(minutes=settings.rating_comment_minutes) + SKEW


def claim(session: Session, config: ExporterConfig, now: dt.datetime
          ) -> list[tuple[int, int, int]]:
    """Lease up to batch_size due items (not committed): (item id, rating id, attempts)."""
    due = (select(ExportItem.id)
           .where(ExportItem.exporter == config.name, ExportItem.state == "pending",
                  ExportItem.next_attempt_at <= now)
           .order_by(ExportItem.id).limit(config.batch_size)
           .with_for_update(skip_locked=True))
    rows = session.execute(
        update(ExportItem).where(ExportItem.id.in_(due))
        .values(attempts=ExportItem.attempts + 1, next_attempt_at=now + lease(config))
        .returning(ExportItem.id, ExportItem.rating_id, ExportItem.attempts),
        execution_options={"synchronize_session": False}).all()
    return sorted((int(item), int(rating), int(attempts)) for item, rating, attempts in rows)


def mark_sent(session: Session, item_ids: list[int], now: dt.datetime) -> None:
    """The receiver accepted these items (not committed)."""
    session.execute(update(ExportItem).where(ExportItem.id.in_(item_ids),
                                             ExportItem.state == "pending")
                    .values(state="sent", sent_at=now),
                    execution_options={"synchronize_session": False})


def mark_failed(session: Session, claimed: list[tuple[int, int, int]], error: str,
                now: dt.datetime, max_backoff: int) -> None:
    """Record the error and when to retry each item (not committed)."""
    by_attempts: dict[int, list[int]] = defaultdict(list)
    for item_id, _rating_id, attempts in claimed:
        by_attempts[attempts].append(item_id)
    for attempts, item_ids in by_attempts.items():
        session.execute(update(ExportItem).where(ExportItem.id.in_(item_ids),
                                                 ExportItem.state == "pending")
                        .values(last_error=error[:ERROR_CHARS],
                                next_attempt_at=now + retry_delay(attempts, max_backoff)),
                        execution_options={"synchronize_session": False})


def deliver(database: Database, config: ExporterConfig, exporter: Exporter,
            clock: Callable[[], dt.datetime], max_backoff: int,
            offered: RatingReasons) -> PassResult:
    """Send every due item of one exporter, batch by batch; stop at the first failure."""
    result = PassResult()
    while True:
        with database.sessions() as session:
            claimed = claim(session, config, clock())
            records = rating_records(session, [rating for _, rating, _ in claimed],
                                     config.origin, offered) if claimed else []
            session.commit()
        if not claimed:
            return result
        item_ids = [item for item, _, _ in claimed]
        try:
            exporter.send(batch_document(config.name, records, clock()))
        except Exception as exc:  # a plug-in may raise anything: every failure is retried
            result.failed += len(item_ids)
            result.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            with database.sessions() as session:
                mark_failed(session, claimed, result.error, clock(), max_backoff)
                session.commit()
            return result
        with database.sessions() as session:
            mark_sent(session, item_ids, clock())
            session.commit()
        result.sent += len(item_ids)


def outbox_counts(session: Session) -> dict[str, dict[str, int]]:
    """Per exporter: items sent, pending, and pending after a failed attempt."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"sent": 0, "pending": 0,
                                                             "failing": 0})
    after_failure = func.sum(case((ExportItem.last_error != "", 1), else_=0))
    rows = session.execute(select(ExportItem.exporter, ExportItem.state, func.count(),
                                  after_failure)
                           .group_by(ExportItem.exporter, ExportItem.state)).all()
    for name, state, count, failing in rows:
        counts[name][state] += int(count)
        if state == "pending":
            counts[name]["failing"] += int(failing or 0)
    return dict(counts)


class ExportWorker:
    """Runs export passes: once on demand, or every export_interval in a background thread."""

    def __init__(self, database: Database, settings: ServerSettings,
                 reasons: RatingReasons | None = None):
        self.database, self.settings = database, settings
        # The application's reasons; a worker on its own (the CLI) reads the same file.
        self.reasons = reasons or RatingReasons.load(settings.rating_reasons)
        # Built now, so a plug-in path that does not load stops the server at start-up.
        self.exporters = [(config, build_exporter(config)) for config in settings.exporters]
        self._failing: set[str] = set()
        self.case_results: dict[str, PassResult] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, now: dt.datetime | None = None) -> dict[str, PassResult]:
        """One pass: queue new ratings, then deliver what is due (now: tests' clock)."""
        clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else utcnow
        with self.database.sessions() as session:
            enqueue(session, [config.name for config, _ in self.exporters], clock(),
                    comment_hold(self.settings))
            session.commit()
        results = {}
        for config, exporter in self.exporters:
            result = deliver(self.database, config, exporter, clock,
                             self.settings.export_max_backoff, self.reasons)
            self._log_change(config.name, result)
            results[config.name] = result
        # Call-back cases go to the exporters that take them, by the same outbox mechanism.
        from server.cases import export as case_export  # it builds on this module

        self.case_results = case_export.run_once(self.database, self.exporters,
                                                 self.settings.export_max_backoff, now)
        for name, result in self.case_results.items():
            self._log_change(f"{name} (cases)", result)
        return results

    def _log_change(self, name: str, result: PassResult) -> None:
        # Say once that an exporter fails and once that it works again, not every pass.
        if result.failed and name not in self._failing:
            self._failing.add(name)
            log.warning("rating export %s failing, will retry: %s", name, result.error)
        elif result.sent and not result.failed and name in self._failing:
            self._failing.discard(name)
            log.info("rating export %s delivering again", name)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the database may be away for a while: keep trying
                log.exception("rating export pass failed")
            self._stop.wait(self.settings.export_interval)

    def start(self) -> None:
        """Start the background thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="rating-export", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after the send in progress, if any; close the exporters."""
        self._stop.set()
        if self._thread is not None:
            longest = max((config.timeout for config, _ in self.exporters), default=0)
            self._thread.join(2 * longest + 5)
            self._thread = None
        for _config, exporter in self.exporters:
            close: Any = getattr(exporter, "close", None)
            if callable(close):
                close()

    @property
    def running(self) -> bool:
        """Whether the background thread is alive."""
        return self._thread is not None and self._thread.is_alive()
