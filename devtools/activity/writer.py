"""Bulk writing of generated activity: rows are gathered a few days at a time, given ids
from the table's own sequence (PostgreSQL) or after its highest id (SQLite, under the write
lock), linked to each other, and inserted with executemany.

Everything is drawn from the seeded generator, so a seed gives the same day again, except
secrets: a ticket's phone-page token (``/t/<token>``, where the ticket can be rated) comes
from ``secrets`` as the server's own tickets do, or every demo and training install would
share the same rateable pages."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.orm import Session

from devtools.activity import feedback
from devtools.activity.simulate import ServicePlan, SimTicket
from server.analytics.models import UnansweredQuestion
from server.models import OutboxReceipt
from server.queue.models import PRIORITY_RANK, QueueCounter, Ticket
from server.ratings.models import Complaint, FollowUp, FollowUpEvent, Rating

Row = dict[str, Any]
BATCH_TICKETS = 20_000


@dataclass
class Generated:
    """How many rows of each kind were written."""

    tickets: int = 0
    ratings: int = 0
    follow_ups: int = 0
    complaints: int = 0
    usage_events: int = 0

    def add(self, other: Generated) -> None:
        """Add other's counts to these."""
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """count new primary keys for table, never handed out again."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": count}))
    last = session.scalar(select(func.max(table.c.id))) or 0
    return list(range(last + 1, last + 1 + count))


def _clean(rows: list[Row]) -> list[Row]:
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]


class BatchWriter:
    """Gathers generated rows and writes them in batches."""

    def __init__(self, session: Session):
        self.session = session
        self.tickets: list[Row] = []
        self.ratings: list[Row] = []
        self.complaints: list[Row] = []
        self.follow_ups: list[Row] = []
        self.events: list[Row] = []
        self.usage: list[Row] = []
        self.unanswered: list[Row] = []
        self.new_counters: list[Row] = []

    def add_day(self, rng: random.Random, context: feedback.DayContext,
                tickets: list[SimTicket], plans: list[ServicePlan], terminals: list[int],
                usage: list[Row], unanswered: list[Row] | None = None) -> Generated:
        """Queue one day's tickets, their ratings and work items, complaints, usage and
        the questions that found no confident answer."""
        services = {p.id: p for p in plans}
        first = len(self.tickets)
        for ticket in tickets:
            self.tickets.append(self._ticket_row(rng, context, ticket, terminals))
        ratings = feedback.ratings(rng, context, tickets, services, first)
        complaints = feedback.complaints(rng, context)
        made = Generated(len(tickets), len(ratings), 0, len(complaints), len(usage))
        for rating in ratings:
            self.ratings.append(rating)
            if feedback.is_bad(rating["level"]):
                self._work_item(rng, context, rating["created_at"], {
                    "kind": "rating", "_rating": len(self.ratings) - 1,
                    "window_id": rating["window_id"], "staff_id": rating["staff_id"]})
                made.follow_ups += 1
        for complaint in complaints:
            self.complaints.append(complaint)
            self._work_item(rng, context, complaint["created_at"], {
                "kind": "complaint", "_complaint": len(self.complaints) - 1,
                "window_id": None, "staff_id": None})
            made.follow_ups += 1
        self.usage.extend(usage)
        self.unanswered.extend(unanswered or [])
        if len(self.tickets) >= BATCH_TICKETS:
            self.flush()
        return made

    def _ticket_row(self, rng: random.Random, context: feedback.DayContext, ticket: SimTicket,
                    terminals: list[int]) -> Row:
        at = context.at
        return {
            "hall_id": context.hall_id, "origin_service_id": ticket.service_id,
            "service_id": ticket.service_id, "day": context.day.isoformat(), "seq": ticket.seq,
            "number": ticket.number, "state": ticket.state, "priority": ticket.priority,
            "rank": PRIORITY_RANK[ticket.priority], "token": secrets.token_urlsafe(16),
            "idempotency_key": None, "appointment_code": None,
            "terminal_id": rng.choice(terminals), "arrival_at": at(ticket.arrival),
            "issued_at": at(ticket.arrival),
            "called_at": at(ticket.called) if ticket.called is not None else None,
            "started_at": at(ticket.started) if ticket.started is not None else None,
            "finished_at": at(ticket.finished) if ticket.finished is not None else None,
            "window_id": ticket.window_id, "target_window_id": None, "staff_id": ticket.staff_id,
            "call_count": ticket.call_count,
            "close_reason": {"no_show": "no_show", "cancelled": "day_end"}.get(ticket.state, ""),
            "visitor": {}}

    def _work_item(self, rng: random.Random, context: feedback.DayContext, opened: Any,
                   base: Row) -> None:
        row, events = feedback.work_item(rng, context, opened, {
            **base, "rating_id": None, "complaint_id": None})
        self.follow_ups.append(row)
        for event in events:
            self.events.append({**event, "_follow_up": len(self.follow_ups) - 1})

    def counter(self, service_id: int, day: str, last_seq: int,
                existing: QueueCounter | None) -> None:
        """Numbers issued up to last_seq for the service on the day."""
        if existing is None:
            self.new_counters.append({"service_id": service_id, "day": day,
                                      "last_seq": last_seq})
        else:
            self.session.execute(update(QueueCounter).where(
                QueueCounter.service_id == service_id, QueueCounter.day == day)
                .values(last_seq=last_seq))

    def flush(self) -> None:
        """Give the gathered rows ids, link them, insert them."""
        session = self.session
        for table, rows in ((Ticket.__table__, self.tickets), (Rating.__table__, self.ratings),
                            (Complaint.__table__, self.complaints),
                            (FollowUp.__table__, self.follow_ups)):
            assert isinstance(table, Table)
            for row, new_id in zip(rows, reserve_ids(session, table, len(rows)), strict=True):
                row["id"] = new_id
        for rating in self.ratings:
            index = rating["_ticket"]
            rating["ticket_id"] = None if index is None else self.tickets[index]["id"]
        for item in self.follow_ups:
            if item["kind"] == "rating":
                item["rating_id"] = self.ratings[item["_rating"]]["id"]
            else:
                item["complaint_id"] = self.complaints[item["_complaint"]]["id"]
        for event in self.events:
            event["follow_up_id"] = self.follow_ups[event["_follow_up"]]["id"]
        for model, rows in ((Ticket, self.tickets), (Rating, self.ratings),
                            (Complaint, self.complaints), (FollowUp, self.follow_ups),
                            (FollowUpEvent, self.events), (OutboxReceipt, self.usage),
                            (UnansweredQuestion, self.unanswered),
                            (QueueCounter, self.new_counters)):
            if rows:
                session.execute(insert(model), _clean(rows))
            rows.clear()
