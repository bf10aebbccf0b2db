"""Outbox deliveries from terminals: one receipt per idempotency key, the ratings, cases and
usage events they carry, and the roll-ups of days reopened by late deliveries. Commits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from protocol.enums import OutboxKind
from protocol.feedback import acted_at
from protocol.hours import local_day
from server.analytics import rollup, unanswered
from server.cases import intake as case_intake
from server.models import OutboxReceipt, Terminal, as_utc, utcnow
from server.ratings import intake
from server.ratings.models import Rating
from server.ratings.rules import DEFAULT_FOLLOW_UP_DAYS, NATIONAL_REASONS, RatingReasons

# Usage kinds the daily roll-ups count (unanswered questions are read from their own table).
ROLLED_UP_USAGE = (OutboxKind.USAGE_SCREEN, OutboxKind.USAGE_SEARCH)


def receive_outbox(session: Session, terminal: Terminal, items: list[dict[str, Any]],
                   follow_up_days: int = DEFAULT_FOLLOW_UP_DAYS,
                   offered: RatingReasons = NATIONAL_REASONS) -> tuple[list[str], list[str]]:
    """Store one receipt per new idempotency key, and the ratings and complaints new items
    carry, in one transaction; keys seen before are duplicates. Commits.

    Each receipt keeps when it was delivered and when the terminal queued the item
    (bounded against clock skew); ratings and complaints keep the visitor's time."""
    now = utcnow()
    keys = list(dict.fromkeys(item["key"] for item in items))
    first = {item["key"]: item for item in reversed(items)}  # the first of repeats wins
    for item in first.values():  # a question's text is kept masked, in the receipt too
        if item["kind"] == OutboxKind.USAGE_UNANSWERED:
            item["payload"] = unanswered.scrubbed(item["payload"])
    queued = {key: intake.claimed_time(first[key].get("created_at")) for key in keys}
    # One INSERT .. ON CONFLICT DO NOTHING: atomic even when two processes get the same key.
    dialect: Any = {"sqlite": sqlite, "postgresql": postgresql}[session.get_bind().dialect.name]
    stored = set(session.scalars(dialect.insert(OutboxReceipt).values([
        {"idempotency_key": key, "terminal_id": terminal.id, "kind": first[key]["kind"],
         "payload": first[key]["payload"], "received_at": now,
         "occurred_at": acted_at(queued[key], now)} for key in keys])
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxReceipt.idempotency_key)))
    for key in keys:
        if key not in stored:
            continue
        if first[key]["kind"] == OutboxKind.USAGE_UNANSWERED:
            unanswered.store(session, terminal, key, first[key]["payload"],
                             acted_at(queued[key], now))
        elif first[key]["kind"] == OutboxKind.CASE:
            case_intake.apply(session, terminal, key, first[key]["payload"], received=now,
                              queued=queued[key])
        else:
            intake.apply(session, terminal, key, first[key]["kind"], first[key]["payload"],
                         follow_up_days, offered, received=now, queued=queued[key])
    if terminal.hall_id is not None and stored:
        reopen_late_days(session, terminal.hall_id, sorted(stored), now)
    session.commit()
    return [key for key in keys if key in stored], [key for key in keys if key not in stored]


def reopen_late_days(session: Session, hall_id: int, keys: list[str], now: dt.datetime) -> None:
    """Drop the roll-ups of past days that just got a rating or usage event: a terminal
    that was offline delivered it late, and the dashboard counts it on its own day."""
    today = local_day(now)
    ratings = {local_day(as_utc(at)) for at in session.scalars(
        select(Rating.created_at).where(Rating.hall_id == hall_id,
                                        Rating.idempotency_key.in_(keys)))}
    usage = {local_day(as_utc(at)) for at in session.scalars(
        select(OutboxReceipt.occurred_at).where(OutboxReceipt.idempotency_key.in_(keys),
                                                OutboxReceipt.kind.in_(ROLLED_UP_USAGE)))}
    for part, days in ((rollup.RATINGS, ratings), (rollup.USAGE, usage)):
        rollup.reopen(session, hall_id, part, [day for day in days if day < today])
