"""Questions the query terminals had no confident answer to (需求研判): stored once from the
outbox (kind usage.unanswered), grouped by wording for the dashboard and its exports.

Only text reaches the server, normalised and with personal numbers masked by the terminal;
it is normalised and masked again here (protocol.privacy), so an older terminal's item is
kept the same way. NULs are dropped as in every outbox text.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from protocol.feedback import UnansweredUsage
from protocol.hours import local_day, local_now
from protocol.privacy import normalise_question
from protocol.text import without_nul
from server.analytics.models import UnansweredQuestion
from server.analytics.rows import UnansweredRow
from server.models import Terminal, as_utc

log = logging.getLogger(__name__)


def scrubbed(payload: Any) -> Any:
    """An unanswered item's payload with its question normalised and masked, as the
    outbox receipt keeps it (anything else in it is left to store to judge)."""
    if isinstance(payload, dict) and isinstance(payload.get("question"), str):
        return {**payload, "question": normalise_question(payload["question"])}
    return payload


def store(session: Session, terminal: Terminal, key: str, payload: dict[str, Any],
          asked_at: dt.datetime) -> str:
    """Keep one unanswered question (not committed): "stored" or "refused: code". The
    caller's outbox receipt makes it once per key."""
    if terminal.hall_id is None:
        log.warning("terminal %s unanswered question %s refused: no hall", terminal.id, key)
        return "refused: no_hall"
    try:
        item = UnansweredUsage.model_validate(without_nul(payload))
    except ValidationError as error:
        log.warning("terminal %s unanswered question %s malformed: %s", terminal.id, key,
                    error.errors(include_input=False, include_url=False))
        return "refused: malformed"
    asked_at = as_utc(asked_at)
    session.add(UnansweredQuestion(
        hall_id=terminal.hall_id, terminal_id=terminal.id, idempotency_key=key,
        day=local_day(asked_at), asked_at=asked_at, question=item.question,
        language=item.language, score=item.score))
    return "stored"


def top(session: Session, hall_id: int, start: dt.date, end: dt.date,
        limit: int) -> tuple[int, list[UnansweredRow]]:
    """How many questions of the hall's local days start..end found no confident answer,
    and the most frequent wordings (by count, then text) with when each was last asked."""
    where = [UnansweredQuestion.hall_id == hall_id,
             UnansweredQuestion.day.between(start.isoformat(), end.isoformat())]
    total = session.scalar(select(func.count()).select_from(UnansweredQuestion)
                           .where(*where)) or 0
    count = func.count()
    rows = session.execute(
        select(UnansweredQuestion.question, count, func.max(UnansweredQuestion.asked_at))
        .where(*where).group_by(UnansweredQuestion.question)
        .order_by(count.desc(), UnansweredQuestion.question).limit(limit))
    return total, [UnansweredRow(question, int(times), local_now(as_utc(last)))
                   for question, times, last in rows]
