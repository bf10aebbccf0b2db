"""Times kept: a rating, complaint or usage event counts from when the visitor acted, not
from when the terminal delivered it, bounded against a terminal's wrong clock; the
delivery time is kept too."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.feedback import acted_at
from server.analytics.stats import figures
from server.fleet import outbox
from server.fleet.outbox import receive_outbox
from server.fleet.queries import as_utc
from server.models import OutboxReceipt, Terminal, utcnow
from server.queue.models import Ticket
from server.ratings.export import rating_records
from server.ratings.models import Complaint, FollowUp, Rating
from server.ratings.rules import NATIONAL_REASONS, rate
from tests.server.queue_setup import QueueHall, make_queue_hall
from tests.server.test_rating_outbox import finished_tickets

CST = dt.timezone(dt.timedelta(hours=8))
# Rated on Thursday 19 November 2026 at 10:00; the terminal is offline on Friday and
# Monday (two working days) and delivers on Tuesday the 24th at 09:00.
RATED = dt.datetime(2026, 11, 19, 10, 0, tzinfo=CST).astimezone(dt.UTC)
DELIVERED = dt.datetime(2026, 11, 24, 9, 0, tzinfo=CST).astimezone(dt.UTC)
DAY = dt.date(2026, 11, 19)
WEEK_START, MONDAY, TUESDAY = dt.date(2026, 11, 16), dt.date(2026, 11, 23), DAY + dt.timedelta(5)


def item(key: str, kind: str, created: dt.datetime, **payload: Any) -> dict[str, Any]:
    """An outbox item as the route hands it on (JSON mode)."""
    return {"key": key, "kind": kind, "payload": payload, "created_at": created.isoformat()}


def terminal_of(session: Session, q: QueueHall) -> Terminal:
    terminal = Terminal(device_id="t" * 64, public_key="k", status="accepted",
                        hall_id=q.hall.id, profile="rater")
    session.add(terminal)
    session.commit()
    return terminal


def ticket_served_at(session: Session, q: QueueHall, finished: dt.datetime) -> Ticket:
    """A finished ticket of the day of `finished`, served just before it."""
    ticket = finished_tickets(session, q, 1)[0]
    ticket.day = finished.astimezone(CST).date().isoformat()
    ticket.arrival_at = ticket.issued_at = finished - dt.timedelta(minutes=40)
    ticket.called_at = finished - dt.timedelta(minutes=30)
    ticket.started_at = finished - dt.timedelta(minutes=29)
    ticket.finished_at = finished - dt.timedelta(minutes=5)
    session.commit()
    return ticket


def test_an_offline_terminal_delivering_a_bad_rating_two_working_days_late(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    q = make_queue_hall(session)
    terminal = terminal_of(session, q)
    ticket = ticket_served_at(session, q, RATED)
    # The dashboard was looked at on Tuesday morning: the past week is rolled up, empty.
    assert figures(session, q.hall, WEEK_START, MONDAY, today=TUESDAY).ratings.total == 0
    session.commit()

    monkeypatch.setattr(outbox, "utcnow", lambda: DELIVERED)
    receive_outbox(session, terminal, [
        item("late-bad-rating-01", "rating", RATED, level=1, reasons=["服务态度差"],
             source="pad", ticket=ticket.id, rated_at=RATED.isoformat()),
        item("late-complaint-001", "complaint", RATED, category="waiting",
             at=RATED.isoformat()),
        item("late-search-000001", "usage.search", RATED, query="离婚", results=0)])

    rating = session.scalars(select(Rating)).one()
    assert (as_utc(rating.created_at), as_utc(rating.received_at)) == (RATED, DELIVERED)
    follow_up = session.scalars(select(FollowUp).where(FollowUp.rating_id == rating.id)).one()
    # Five working days from Thursday 19th: Fri, Mon, Tue, Wed, Thu 26th (from the
    # delivery it would be 1 December).
    assert follow_up.due_on == dt.date(2026, 11, 26)
    assert as_utc(follow_up.created_at) == RATED
    complaint = session.scalars(select(Complaint)).one()
    assert (as_utc(complaint.created_at), as_utc(complaint.received_at)) == (RATED, DELIVERED)
    assert session.scalars(select(FollowUp.due_on).where(
        FollowUp.complaint_id == complaint.id)).one() == dt.date(2026, 11, 26)
    receipt = session.get(OutboxReceipt, "late-search-000001")
    assert receipt is not None
    assert (as_utc(receipt.occurred_at), as_utc(receipt.received_at)) == (RATED, DELIVERED)

    # The dashboard puts all three on Thursday, also in the week already rolled up.
    thursday = figures(session, q.hall, DAY, DAY, today=TUESDAY)
    assert thursday.ratings.total == 1 and thursday.ratings.levels[1] == 1
    assert [(c.key, c.count) for c in thursday.complaints] == [("waiting", 1)]
    assert (thursday.searches, thursday.searches_empty) == (1, 1)
    week = figures(session, q.hall, WEEK_START, MONDAY, today=TUESDAY)
    assert (week.ratings.total, week.searches) == (1, 1)
    tuesday = figures(session, q.hall, TUESDAY, TUESDAY, today=TUESDAY)
    assert (tuesday.ratings.total, tuesday.searches, tuesday.complaints) == (0, 0, [])

    # The province gets the visitor's time and the delivery time.
    record, = rating_records(session, [rating.id], "qingxi", NATIONAL_REASONS)
    assert (record["created_at"], record["received_at"]) == (
        "2026-11-19T02:00:00Z", "2026-11-24T01:00:00Z")


def test_a_terminal_clock_far_ahead_or_behind_is_not_believed(session: Session) -> None:
    q = make_queue_hall(session)
    terminal = terminal_of(session, q)
    ahead, behind = finished_tickets(session, q, 2)
    now = utcnow()
    hour = dt.timedelta(hours=1)
    receive_outbox(session, terminal, [
        item("rating-clock-ahead", "rating", now + hour, level=4, source="pad",
             ticket=ahead.id, rated_at=(now + hour).isoformat()),
        item("rating-clock-behind", "rating", now - 3 * hour, level=4, source="pad",
             ticket=behind.id, rated_at=(now - 3 * hour).isoformat()),
        item("complaint-clock-ahead", "complaint", now + hour, category="other",
             at=(now + hour).isoformat()),
        item("usage-clock-ahead-01", "usage.screen", now + hour, screen="home")])
    by_ticket = {r.ticket_id: r for r in session.scalars(select(Rating))}
    fast, slow = by_ticket[ahead.id], by_ticket[behind.id]
    # An hour in the future: the delivery time. Before the ticket was issued: its issue.
    assert as_utc(fast.created_at) == as_utc(fast.received_at)
    assert as_utc(fast.received_at) - now < dt.timedelta(minutes=1)
    assert as_utc(slow.created_at) == as_utc(behind.issued_at)
    complaint = session.scalars(select(Complaint)).one()
    assert as_utc(complaint.created_at) == as_utc(complaint.received_at)
    receipt = session.get(OutboxReceipt, "usage-clock-ahead-01")
    assert receipt is not None and as_utc(receipt.occurred_at) == as_utc(receipt.received_at)


def test_times_without_a_terminal_claim_are_the_servers(session: Session) -> None:
    q = make_queue_hall(session)
    terminal = terminal_of(session, q)
    ticket, = finished_tickets(session, q, 1)
    phone, _ = rate(session, q.hall, level=5, source="phone", ticket=ticket)
    assert phone.created_at == phone.received_at
    queued = utcnow() - dt.timedelta(minutes=20)
    # An older terminal sends no rated_at: the time it queued the item is taken.
    receive_outbox(session, terminal, [item("rating-no-rated-at", "rating", queued, level=4,
                                            source="terminal")])
    hall_rating = session.scalars(select(Rating).where(Rating.ticket_id.is_(None))).one()
    assert as_utc(hall_rating.created_at) == queued


def test_acted_at_bounds() -> None:
    delivered = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)
    issued = delivered - dt.timedelta(days=1)
    minute = dt.timedelta(minutes=1)
    assert acted_at(None, delivered) == delivered
    assert acted_at(delivered + 4 * minute, delivered) == delivered + 4 * minute  # drift
    assert acted_at(delivered + 6 * minute, delivered) == delivered
    assert acted_at(issued - minute, delivered, issued) == issued
    assert acted_at(RATED.astimezone(CST), delivered) == RATED
    # SQLite drops the zone: a naive time is UTC.
    assert acted_at(RATED.replace(tzinfo=None), delivered.replace(tzinfo=None)) == RATED
    assert acted_at(RATED, delivered, issued.replace(tzinfo=None)) == issued


def test_the_migration_gives_existing_rows_their_one_time(database_url: str) -> None:
    from sqlalchemy import text

    from content.migrate import migrate
    from server import db
    from server.db import Database, upgrade

    database = Database(database_url)
    upgrade(database.engine)
    with database.sessions() as session:
        q = make_queue_hall(session)
        terminal = terminal_of(session, q)
        receive_outbox(session, terminal, [
            item("old-rating-0000001", "rating", RATED, level=4, source="terminal",
                 rated_at=RATED.isoformat()),
            item("old-complaint-0001", "complaint", RATED, category="other",
                 at=RATED.isoformat())])
    # Down as the server migrates (foreign keys off on SQLite while tables are rebuilt).
    migrate(database.engine, Path(db.__file__).parent / "migrations", "0007", down=True)
    upgrade(database.engine)  # the rows now look as 0007 left them: stamped once
    with database.engine.connect() as connection:
        for table, first, second in (("rating", "created_at", "received_at"),
                                     ("complaint", "created_at", "received_at"),
                                     ("outbox_receipt", "received_at", "occurred_at")):
            rows = connection.execute(text(f"SELECT {first}, {second} FROM {table}")).all()
            assert rows and all(a == b for a, b in rows), table
    database.engine.dispose()
