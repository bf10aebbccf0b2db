"""Call-back requests (咨询回电) exported to a 12348 platform through the exporter plug-in
interface, and the results it reports back.

The same mechanism as the rating export (server/ratings/export_worker.py): each callback
case is queued once per exporter configured with ``cases = true`` (case_export_item, the
server's outbox), claimed in batches under a lease, sent as one signed JSON document
(format ``hallkiosk.cases``) by the exporter's send(), then marked sent, or retried with
a growing wait. A case still only submitted when its batch is accepted becomes 已转办
(to the exporter) with an event by ``exporter:<name>``.

The platform reports results to POST /api/v1/cases/results, signed like the export
(HMAC-SHA256 over ``timestamp + "." + body`` with the exporter's secret): each result
names the case by its idempotency_id and says accepted or closed with a message for the
visitor; a result already applied is acknowledged and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.cases import rules as case_rules
from server.cases import steps as case_steps
from server.cases.errors import CaseError
from server.cases.models import Case, CaseExportItem
from server.db import Database
from server.models import Hall, as_utc, utcnow
from server.ratings.export import Exporter, signature
from server.ratings.export_worker import ERROR_CHARS, PassResult, lease, retry_delay
from server.settings import ExporterConfig

log = logging.getLogger(__name__)
FORMAT = "hallkiosk.cases"
VERSION = 1
RESULT_FORMAT = "hallkiosk.case-results"
MAX_SKEW_SECONDS = 300
EXPORTED_KINDS = ("callback",)


def _iso(value: dt.datetime | None) -> str | None:
    utc = as_utc(value)
    return utc.isoformat(timespec="seconds").replace("+00:00", "Z") if utc else None


def idempotency_id(origin: str, case: Case) -> str:
    """How the platform names a case, in the export and in its results."""
    return f"{origin}:case:{case.code}"


def enqueue(session: Session, names: list[str], now: dt.datetime) -> int:
    """Queue every callback case not yet queued for each exporter name (not committed)."""
    total = 0
    for name in names:
        queued = select(CaseExportItem.case_id).where(CaseExportItem.exporter == name)
        for case_id in session.scalars(select(Case.id).where(
                Case.kind.in_(EXPORTED_KINDS), Case.id.not_in(queued))):
            try:
                with session.begin_nested():
                    session.add(CaseExportItem(exporter=name, case_id=case_id, state="pending",
                                               next_attempt_at=now, created_at=now))
                total += 1
            except Exception:  # another worker queued it at the same moment
                log.debug("case %s already queued for %s", case_id, name)
    return total


def claim(session: Session, config: ExporterConfig, now: dt.datetime) -> list[tuple[int, int]]:
    """Lease up to batch_size due items (not committed): (item id, case id)."""
    due = (select(CaseExportItem.id)
           .where(CaseExportItem.exporter == config.name, CaseExportItem.state == "pending",
                  CaseExportItem.next_attempt_at <= now)
           .order_by(CaseExportItem.id).limit(config.batch_size)
           .with_for_update(skip_locked=True))
    rows = session.execute(
        update(CaseExportItem).where(CaseExportItem.id.in_(due))
        .values(attempts=CaseExportItem.attempts + 1, next_attempt_at=now + lease(config))
        .returning(CaseExportItem.id, CaseExportItem.case_id, CaseExportItem.attempts),
        execution_options={"synchronize_session": False}).all()
    return sorted((int(item), int(case)) for item, case, _attempts in rows)


def records(session: Session, case_ids: list[int], origin: str) -> list[dict[str, Any]]:
    """The documented record of each case (the visitor's own contact: the platform calls
    back, so the number is sent whole)."""
    rows = session.execute(select(Case, Hall.code, Hall.name).join(Hall, Hall.id == Case.hall_id)
                           .where(Case.id.in_(case_ids)).order_by(Case.id)).all()
    return [{"idempotency_id": idempotency_id(origin, case), "code": case.code,
             "kind": case.kind, "hall_code": hall_code, "hall_name": hall_name,
             "phone": case.phone, "question": case.details.get("question") or case.matter,
             "matter": case.matter, "window": case.details.get("window", ""),
             "due_on": case.due_on.isoformat(), "created_at": _iso(case.created_at)}
            for case, hall_code, hall_name in rows]


def batch_document(exporter: str, items: list[dict[str, Any]],
                   now: dt.datetime | None = None) -> dict[str, Any]:
    """The JSON document one send carries."""
    return {"format": FORMAT, "version": VERSION, "exporter": exporter,
            "batch_id": uuid.uuid4().hex, "generated_at": _iso(now or utcnow()),
            "count": len(items), "cases": items}


def _handed_over(session: Session, config: ExporterConfig, case_ids: list[int],
                 now: dt.datetime) -> None:
    platform = str(config.options.get("display_name") or "12348公共法律服务平台")
    for case in session.scalars(select(Case).where(Case.id.in_(case_ids))):
        if case.state == "submitted":
            case.state, case.transferred_to = "transferred", platform
            case_steps._event(session, case, "transferred", f"exporter:{config.name}",
                              case_rules.DEFAULT_MESSAGES["transferred"].format(target=platform),
                              now=now, exporter=config.name)


def deliver(database: Database, config: ExporterConfig, exporter: Exporter,
            clock: Callable[[], dt.datetime], max_backoff: int) -> PassResult:
    """Send every due case of one exporter, batch by batch; stop at the first failure."""
    result = PassResult()
    while True:
        with database.sessions() as session:
            claimed = claim(session, config, clock())
            items = records(session, [case for _, case in claimed], config.origin) \
                if claimed else []
            session.commit()
        if not claimed:
            return result
        item_ids = [item for item, _ in claimed]
        try:
            exporter.send(batch_document(config.name, items, clock()))
        except Exception as exc:  # a plug-in may raise anything: every failure is retried
            result.failed += len(item_ids)
            result.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            with database.sessions() as session:
                for item in session.scalars(select(CaseExportItem).where(
                        CaseExportItem.id.in_(item_ids))):
                    item.last_error = result.error[:ERROR_CHARS]
                    item.next_attempt_at = clock() + retry_delay(item.attempts, max_backoff)
                session.commit()
            return result
        with database.sessions() as session:
            session.execute(update(CaseExportItem).where(
                CaseExportItem.id.in_(item_ids), CaseExportItem.state == "pending")
                .values(state="sent", sent_at=clock()),
                execution_options={"synchronize_session": False})
            _handed_over(session, config, [case for _, case in claimed], clock())
            session.commit()
        result.sent += len(item_ids)


def run_once(database: Database, exporters: list[tuple[ExporterConfig, Exporter]],
             max_backoff: int, now: dt.datetime | None = None) -> dict[str, PassResult]:
    """One pass for the exporters that take cases: queue new callbacks, deliver."""
    chosen = [(config, exporter) for config, exporter in exporters if config.cases]
    if not chosen:
        return {}
    clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else utcnow
    with database.sessions() as session:
        enqueue(session, [config.name for config, _ in chosen], clock())
        session.commit()
    return {config.name: deliver(database, config, exporter, clock, max_backoff)
            for config, exporter in chosen}


# -- results reported back -----------------------------------------------------------------


class CaseResult(BaseModel):
    """One result: the case by its idempotency_id, accepted or closed, a message."""

    model_config = ConfigDict(extra="ignore")
    idempotency_id: str = Field(min_length=1, max_length=120)
    state: str = Field(pattern=r"^(accepted|closed)$")
    message: str = Field("", max_length=500)


class ResultBatch(BaseModel):
    """POST /api/v1/cases/results: what a platform reports."""

    model_config = ConfigDict(extra="ignore")
    format: str = Field(pattern=f"^{RESULT_FORMAT}$")
    exporter: str = Field(min_length=1, max_length=40)
    results: list[CaseResult] = Field(max_length=1000)


def verify(config: ExporterConfig, timestamp: str, body: bytes, given: str,
           now: float | None = None) -> bool:
    """Whether the signature is the exporter's and the timestamp recent."""
    if not config.secret or not timestamp.isdigit():
        return False
    if abs((now or time.time()) - int(timestamp)) > MAX_SKEW_SECONDS:
        return False
    return hmac.compare_digest(signature(config.secret, timestamp, body), given)


def apply_results(session: Session, config: ExporterConfig, batch: ResultBatch,
                  now: dt.datetime | None = None) -> dict[str, str]:
    """Apply each result to its case (not committed): per idempotency_id "applied",
    "already" (nothing to change) or "unknown". Only cases this exporter was sent."""
    outcome: dict[str, str] = {}
    prefix = f"{config.origin}:case:"
    actor = f"exporter:{config.name}"
    for result in batch.results:
        code = result.idempotency_id.removeprefix(prefix)
        case = session.scalar(select(Case).where(Case.code == code).with_for_update()) \
            if result.idempotency_id.startswith(prefix) else None
        sent = case is not None and session.scalar(select(CaseExportItem.id).where(
            CaseExportItem.case_id == case.id, CaseExportItem.exporter == config.name,
            CaseExportItem.state == "sent")) is not None
        if case is None or not sent:
            outcome[result.idempotency_id] = "unknown"
            continue
        try:
            with session.begin_nested():
                if result.state == "accepted" and case.state in ("submitted", "transferred"):
                    case.state = "accepted"
                    case_steps._event(session, case, "accepted", actor,
                                      result.message or case_rules.DEFAULT_MESSAGES["accepted"],
                                      now=now, exporter=config.name)
                    outcome[result.idempotency_id] = "applied"
                elif result.state == "closed" and case.state != "closed":
                    if case.state == "submitted":
                        case.state = "accepted"
                        case_steps._event(session, case, "accepted", actor,
                                          case_rules.DEFAULT_MESSAGES["accepted"], now=now)
                    case_steps.close(session, case, None, result.message, actor=actor, now=now)
                    case.details = {**case.details, "result": result.message}
                    outcome[result.idempotency_id] = "applied"
                else:
                    outcome[result.idempotency_id] = "already"
        except CaseError as error:
            log.warning("result for case %s not applied: %s", case.id, error)
            outcome[result.idempotency_id] = "already"
    return outcome
