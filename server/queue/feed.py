"""The hall's feed of queue changes (``queue_event``): a row as streams send it (a
server-sent event), and a broadcast written to every hall's feed at once.

Every change is a row of the hall's feed, written in the same transaction as the change;
the database stays the one source (:mod:`server.queue.broker` reads it for the streams).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, NamedTuple

from sqlalchemy import insert, literal, select, text
from sqlalchemy.orm import Session

from protocol.enums import QueueEventKind
from protocol.queue import QueueEvent as WireEvent
from server.models import Hall, as_utc, utcnow
from server.queue.core import NOTIFY_CHANNEL, WAKE_KEY
from server.queue.models import QueueEvent

ALL_HALLS = "*"  # the NOTIFY payload of a broadcast


class FeedRow(NamedTuple):
    """A feed row as streams get it: its id, kind, data as sent, and the event text."""

    id: int
    kind: str
    data: dict[str, Any]
    chunk: str


def feed_row(row_id: int, kind: str, payload: dict[str, Any], created_at: dt.datetime
             ) -> FeedRow:
    """A stored feed row as streams get it: its data validated as sent, and the event."""
    data = WireEvent.model_validate({**payload, "id": row_id, "kind": kind,
                                     "at": as_utc(created_at)}).model_dump(
        mode="json", exclude_unset=True)
    return FeedRow(row_id, kind, data, sse(row_id, kind, data))


def sse(event_id: int | None, kind: str, data: Any) -> str:
    """One server-sent event."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def broadcast(session: Session, kind: QueueEventKind, actor: str, **detail: Any) -> int:
    """Append kind to the feed of every hall in session's transaction (one statement);
    every stream of every hall, on every process, gets it once committed. The halls."""
    now = utcnow()
    payload = {"actor": actor, **detail}
    halls = select(Hall.id, literal(str(kind)), literal(payload, QueueEvent.payload.type),
                   literal(now, QueueEvent.created_at.type))
    result: Any = session.execute(insert(QueueEvent).from_select(
        ["hall_id", "kind", "payload", "created_at"], halls))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, :halls)"),
                        {"channel": NOTIFY_CHANNEL, "halls": ALL_HALLS})
    session.info.setdefault(WAKE_KEY, set()).add(0)
    return int(result.rowcount or 0)
