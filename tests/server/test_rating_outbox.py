"""Ratings and complaints delivered through the terminal outbox: applied exactly once,
also when the server is killed in the middle of a delivery and started again."""

from __future__ import annotations

import datetime as dt
import signal
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from devtools.server_process import start_server
from provisioning.client import ServerError, TerminalClient
from provisioning.enrol import enrol
from provisioning.identity import TerminalIdentity
from provisioning.outbox import Outbox, OutboxSender
from server.db import Database, upgrade
from server.fleet.enrolment import create_enrolment_token
from server.fleet.outbox import receive_outbox
from server.models import OutboxReceipt, Terminal
from server.queue import actions
from server.queue.issuing import issue_ticket
from server.queue.models import Ticket
from server.ratings.models import Complaint, FollowUp, Rating
from tests.provisioning.live_server import free_port
from tests.server.queue_setup import QueueHall, make_queue_hall


def finished_tickets(session: Session, q: QueueHall, count: int) -> list[Ticket]:
    tickets = []
    for _ in range(count):
        ticket, _ = issue_ticket(session, q.hall, "legal-aid", actor="test")
        actions.call_next(session, q.windows[1].id, q.staff[1])
        actions.act(session, q.windows[1].id, q.staff[1], ticket.id, "finish")
        tickets.append(ticket)
    session.commit()
    return tickets


def item(key: str, kind: str, **payload: Any) -> dict[str, Any]:
    return {"key": key, "kind": kind, "payload": payload,
            "created_at": dt.datetime.now(dt.UTC).isoformat()}


def test_outbox_items_are_applied_once_and_refusals_keep_their_receipt(
        session: Session) -> None:
    q = make_queue_hall(session)
    one, two = finished_tickets(session, q, 2)
    terminal = Terminal(device_id="d" * 64, public_key="k", status="accepted",
                        hall_id=q.hall.id, profile="rater")
    session.add(terminal)
    session.commit()
    batch = [
        item("rating-by-id-0001", "rating", level=2, reasons=["服务态度差"], source="pad",
             ticket=one.id),
        item("rating-by-number-01", "rating", level=5, source="terminal",
             ticket_number=two.number.lower(), day=two.day),
        item("rating-of-the-hall1", "rating", level=4, source="terminal"),
        item("complaint-000000001", "complaint", category="waiting", phone="13800138000"),
        item("usage-0000000000001", "usage.screen", screen="home"),
        # Refused, but received: the ticket was rated meanwhile, a bad reason, malformed.
        item("rating-twice-000001", "rating", level=3, source="pad", ticket=one.id),
        item("rating-bad-reason-1", "rating", level=5, reasons=["推诿扯皮"], source="pad"),
        item("rating-malformed-01", "rating", source="pad"),
        item("complaint-bad-phone", "complaint", category="waiting", phone="12345"),
        item("rating-unknown-0001", "rating", level=5, source="pad", ticket_number="Z999",
             day=two.day),
    ]
    accepted, duplicates = receive_outbox(session, terminal, batch)
    assert len(accepted) == len(batch) and duplicates == []
    ratings = session.scalars(select(Rating).order_by(Rating.id)).all()
    assert [(r.idempotency_key, r.level, r.ticket_id) for r in ratings] == [
        ("rating-by-id-0001", 2, one.id), ("rating-by-number-01", 5, two.id),
        ("rating-of-the-hall1", 4, None)]
    assert ratings[0].window_id == q.windows[1].id and ratings[0].staff_id == q.staff[1].id
    assert all(r.terminal_id == terminal.id for r in ratings)
    complaint, = session.scalars(select(Complaint)).all()
    assert (complaint.phone, complaint.idempotency_key) == ("13800138000", "complaint-000000001")
    assert sorted((f.kind, f.rating_id or f.complaint_id) for f in
                  session.scalars(select(FollowUp))) == [("complaint", complaint.id),
                                                         ("rating", ratings[0].id)]
    assert session.scalar(select(func.count()).select_from(OutboxReceipt)) == len(batch)

    # The terminal never heard back and sends everything again: nothing new.
    accepted, duplicates = receive_outbox(session, terminal, batch)
    assert accepted == [] and len(duplicates) == len(batch)
    assert session.scalar(select(func.count()).select_from(Rating)) == 3
    assert session.scalar(select(func.count()).select_from(Complaint)) == 1
    assert session.scalar(select(func.count()).select_from(FollowUp)) == 2


def test_killing_the_server_during_delivery_loses_and_doubles_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    database = Database(url)
    upgrade(database.engine)
    with database.sessions() as session:
        q = make_queue_hall(session)
        ticket_ids = [t.id for t in finished_tickets(session, q, 40)]
        token, _row = create_enrolment_token(session, q.hall.id, "rater", 1)
    port = free_port()
    server, server_url = start_server(url, tmp_path, "server", port)
    data_dir = tmp_path / "terminal"
    try:
        assert enrol(server_url, data_dir, token).status == "accepted"
        outbox = Outbox(data_dir)
        keys = [outbox.put("rating", {"level": 1 + n % 5, "source": "pad", "ticket": ticket_id,
                                      "reasons": []})
                for n, ticket_id in enumerate(ticket_ids)]
        keys += [outbox.put("complaint", {"category": "process", "phone": ""})
                 for _ in range(10)]
        client = TerminalClient(server_url, TerminalIdentity.load_or_create(data_dir),
                                timeout=3, retries=0)
        sender = OutboxSender(outbox, client, batch_size=2)
        stop = threading.Event()
        failures: list[str] = []

        def deliver() -> None:
            while not stop.is_set() and outbox.size():
                try:
                    sender.deliver()
                except ServerError as error:
                    failures.append(str(error))
                    stop.wait(0.2)

        def received() -> int:
            with database.sessions() as session:
                return int(session.scalar(select(func.count()).select_from(OutboxReceipt)) or 0)

        worker = threading.Thread(target=deliver, daemon=True)
        worker.start()
        deadline = dt.datetime.now() + dt.timedelta(seconds=60)
        while received() < 8 and dt.datetime.now() < deadline:
            threading.Event().wait(0.01)
        server.send_signal(signal.SIGKILL)  # in the middle of the deliveries
        server.wait(10)
        halfway = received()
        assert 8 <= halfway < len(keys)
        threading.Event().wait(1.0)  # the sender keeps failing meanwhile
        server, _url = start_server(url, tmp_path, "server", port)
        worker.join(60)
        stop.set()
        assert not worker.is_alive() and outbox.size() == 0
        assert failures, "the sender never saw the server gone"
        with database.sessions() as session:
            ratings = session.scalars(select(Rating)).all()
            complaints = session.scalars(select(Complaint)).all()
            stored = {r.idempotency_key for r in ratings} | {c.idempotency_key
                                                             for c in complaints}
            follow_ups = session.scalar(select(func.count()).select_from(FollowUp))
        assert len(ratings) == 40 and len(complaints) == 10
        assert stored == set(keys)  # every item once, nothing extra
        assert sorted(r.ticket_id for r in ratings) == sorted(ticket_ids)
        assert follow_ups == sum(1 for n in range(40) if 1 + n % 5 <= 2) + 10
        outbox.close()
    finally:
        server.terminate()
        server.wait(20)
        database.engine.dispose()


def test_an_out_of_range_item_is_refused_alone_and_the_rest_of_the_batch_is_stored(
        session: Session) -> None:
    # Payloads are parsed into protocol.feedback models: an id no database column can hold
    # (once an OverflowError and a 500 for the whole batch) is refused as malformed.
    q = make_queue_hall(session)
    terminal = Terminal(device_id="e" * 64, public_key="k", status="accepted",
                        hall_id=q.hall.id, profile="query")
    session.add(terminal)
    session.commit()
    batch = [item("rating-huge-ticket1", "rating", level=1, source="terminal", ticket=10**30),
             item("rating-late-clock01", "rating", level=4, source="terminal",
                  rated_at="not a time"),
             item("complaint-beside-it", "complaint", category="waiting", phone="",
                  at="2026-12-01T09:00:00")]
    accepted, duplicates = receive_outbox(session, terminal, batch)
    assert len(accepted) == 3 and duplicates == []
    rating, = session.scalars(select(Rating)).all()  # the unreadable time counts from delivery
    assert rating.idempotency_key == "rating-late-clock01"
    complaint, = session.scalars(select(Complaint)).all()
    assert complaint.idempotency_key == "complaint-beside-it"
    assert session.scalar(select(func.count()).select_from(OutboxReceipt)) == 3
