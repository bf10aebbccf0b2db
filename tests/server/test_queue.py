"""Queue rules on SQLite and PostgreSQL: numbering, order, states, day end, estimates."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.queue import actions
from server.queue.errors import QueueError
from server.queue.hours import LOCAL_TIME
from server.queue.issuing import issue_ticket
from server.queue.models import QueueEvent, Ticket, TicketEvent
from server.queue.views import board_view, people_ahead, services_view, ticket_view
from tests.server.queue_setup import QueueHall, make_queue_hall

# Monday 2026-11-23, 09:30 in the hall: every service is open.
MONDAY = dt.datetime(2026, 11, 23, 9, 30, tzinfo=LOCAL_TIME)


@pytest.fixture
def q(session: Session) -> QueueHall:
    return make_queue_hall(session)


def take(session: Session, q: QueueHall, service: str = "legal-aid", minutes: float = 0,
         **options: object) -> Ticket:
    ticket, created = issue_ticket(session, q.hall, service, actor="test",
                                   now=MONDAY + dt.timedelta(minutes=minutes), **options)
    session.commit()
    assert created
    return ticket


def refused(code: str, run: object, session: Session) -> None:
    with pytest.raises(QueueError) as caught:
        run()  # type: ignore[operator]
    session.rollback()
    assert caught.value.code == code


def test_numbers_are_per_service_contiguous_and_capped(session: Session, q: QueueHall) -> None:
    numbers = [take(session, q, minutes=i).number for i in range(3)]
    assert numbers == ["A001", "A002", "A003"]
    assert [take(session, q, "notary").number for _ in range(3)] == ["B001", "B002", "B003"]
    refused("daily_cap", lambda: issue_ticket(session, q.hall, "notary", actor="t",
                                              now=MONDAY), session)
    assert take(session, q).number == "A004"  # the refused ticket used no number
    refused("unknown_service", lambda: issue_ticket(session, q.hall, "divorce", actor="t",
                                                    now=MONDAY), session)
    refused("bad_appointment", lambda: issue_ticket(
        session, q.hall, "legal-aid", actor="t", now=MONDAY, priority="appointment",
        appointment_code="12"), session)


def test_closed_service_says_when_it_opens(session: Session, q: QueueHall) -> None:
    tuesday = MONDAY + dt.timedelta(days=1)
    refused("service_closed", lambda: issue_ticket(session, q.hall, "mediation", actor="t",
                                                   now=tuesday), session)
    mediation = next(s for s in services_view(session, q.hall, tuesday)
                     if s["code"] == "mediation")
    assert mediation["open"] is False
    assert mediation["opens_at"] == "2026-11-30T01:00:00+00:00"  # next Monday 09:00 CST


def test_order_is_appointment_then_green_then_arrival(session: Session, q: QueueHall) -> None:
    first = take(session, q, minutes=0)
    green = take(session, q, minutes=1, priority="green")
    appointment = take(session, q, minutes=2, priority="appointment", appointment_code="YY2026",
                       booking_checked=True)  # as a verified check-in issues it
    assert people_ahead(session, first) == 2
    called = [actions.call_next(session, q.windows[1].id, q.staff[1], now=MONDAY)]
    session.commit()
    for _ in range(2):
        actions.act(session, q.windows[1].id, q.staff[1], called[-1].id, "finish", now=MONDAY)
        called.append(actions.call_next(session, q.windows[1].id, q.staff[1], now=MONDAY))
        session.commit()
    assert [t.id for t in called] == [appointment.id, green.id, first.id]


def test_transfer_keeps_arrival_time(session: Session, q: QueueHall) -> None:
    early = take(session, q, minutes=0)
    later_notary = take(session, q, "notary", minutes=5)
    actions.call_next(session, q.windows[1].id, q.staff[1], now=MONDAY)
    actions.transfer(session, q.windows[1].id, q.staff[1], early.id, service_code="notary")
    session.commit()
    assert early.state == "transferred" and early.number == "A001"
    called = actions.call_next(session, q.windows[3].id, q.staff[3], now=MONDAY)
    session.commit()
    assert called.id == early.id  # arrived before B001, so it goes first
    assert people_ahead(session, later_notary) == 0


def test_transfer_to_one_window(session: Session, q: QueueHall) -> None:
    ticket = take(session, q)
    actions.call_next(session, q.windows[1].id, q.staff[1], now=MONDAY)
    actions.transfer(session, q.windows[1].id, q.staff[1], ticket.id, window_number=3)
    session.commit()
    refused("queue_empty", lambda: actions.call_next(session, q.windows[2].id, q.staff[2],
                                                     now=MONDAY), session)
    assert actions.call_next(session, q.windows[3].id, q.staff[3], now=MONDAY).id == ticket.id


def test_state_machine_and_event_log(session: Session, q: QueueHall) -> None:
    ticket = take(session, q)
    w1, s1 = q.windows[1].id, q.staff[1]
    refused("wrong_state", lambda: actions.act(session, w1, s1, ticket.id, "finish"), session)
    actions.call_next(session, w1, s1, now=MONDAY)
    session.commit()
    refused("window_busy", lambda: actions.call_next(session, w1, s1, now=MONDAY), session)
    actions.act(session, w1, s1, ticket.id, "recall")
    actions.act(session, w1, s1, ticket.id, "start")
    actions.act(session, w1, s1, ticket.id, "hold")
    actions.act(session, w1, s1, ticket.id, "resume")
    actions.act(session, w1, s1, ticket.id, "finish")
    session.commit()
    assert ticket.state == "finished" and ticket.call_count == 3
    refused("wrong_state", lambda: actions.act(session, w1, s1, ticket.id, "finish"), session)
    # Another window cannot touch it, and staff cannot act on a window they do not run.
    refused("wrong_state", lambda: actions.act(session, q.windows[2].id, q.staff[2], ticket.id,
                                               "recall"), session)
    refused("not_your_window", lambda: actions.call_next(session, w1, q.staff[2], now=MONDAY),
            session)
    refused("window_taken", lambda: actions.sign_in(session, w1, q.staff[2]), session)
    kinds = list(session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)
                                 .order_by(TicketEvent.id)))
    assert kinds == ["issued", "called", "recalled", "started", "held", "resumed", "finished"]
    actors = set(session.scalars(select(TicketEvent.actor).where(
        TicketEvent.ticket_id == ticket.id)))
    assert actors == {"test", f"user:{s1.username}"}


def test_no_show_pause_and_empty_queue(session: Session, q: QueueHall) -> None:
    w1, s1 = q.windows[1].id, q.staff[1]
    refused("queue_empty", lambda: actions.call_next(session, w1, s1, now=MONDAY), session)
    ticket = take(session, q)
    refused("reason_required", lambda: actions.set_window_state(session, w1, s1, "paused"),
            session)
    actions.set_window_state(session, w1, s1, "paused", "午休")
    session.commit()
    assert board_view(session, q.hall, MONDAY)["windows"][0]["pause_reason"] == "午休"
    refused("window_paused", lambda: actions.call_next(session, w1, s1, now=MONDAY), session)
    actions.set_window_state(session, w1, s1, "open")
    actions.call_next(session, w1, s1, now=MONDAY)
    actions.act(session, w1, s1, ticket.id, "no_show")
    session.commit()
    assert ticket.state == "no_show"


def test_a_no_show_is_undone_within_seconds_and_called_back_later(session: Session,
                                                                   q: QueueHall) -> None:
    w1, s1, w2, s2 = q.windows[1].id, q.staff[1], q.windows[2].id, q.staff[2]
    start = MONDAY.astimezone(dt.UTC)  # stored times are UTC, as the server's clock gives them
    first, second = take(session, q), take(session, q, minutes=1)
    actions.call_next(session, w1, s1, now=start)
    actions.act(session, w1, s1, first.id, "no_show", now=start)
    session.commit()
    # 过号 pressed by mistake: taken back at once, the visitor is still the one called.
    undone = actions.act(session, w1, s1, first.id, "undo_no_show",
                         now=start + dt.timedelta(seconds=8))
    session.commit()
    assert (undone.state, undone.finished_at, undone.call_count) == ("called", None, 1)
    kinds = session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == first.id)
                            .order_by(TicketEvent.id)).all()
    assert kinds[-2:] == ["no_show", "no_show_undone"]  # undone, not called again

    actions.act(session, w1, s1, first.id, "no_show", now=start + dt.timedelta(seconds=10))
    session.commit()
    late = start + dt.timedelta(seconds=40)
    refused("undo_expired", lambda: actions.act(session, w1, s1, first.id, "undo_no_show",
                                                now=late), session)
    # 指定叫号 of a no-show says what happened and where to call it back, not "another window".
    refused("was_no_show", lambda: actions.call_number(session, w1, s1, "A001", now=late),
            session)
    # Another window that serves the service calls the returning visitor back (回呼).
    back = actions.act(session, w2, s2, first.id, "call_back", now=late)
    session.commit()
    assert (back.state, back.window_id, back.call_count) == ("called", w2, 2)
    assert back.finished_at is None and back.close_reason == ""
    # Only while the window is free, only for today's no-shows, never by an unrelated window.
    actions.call_next(session, w1, s1, now=late)
    actions.act(session, w1, s1, second.id, "no_show", now=late)
    session.commit()
    refused("window_busy", lambda: actions.act(session, w2, s2, second.id, "call_back",
                                               now=late), session)
    refused("not_served_here", lambda: actions.act(
        session, q.windows[3].id, q.staff[3], second.id, "call_back", now=late), session)
    refused("wrong_state", lambda: actions.act(
        session, w1, s1, second.id, "call_back", now=start + dt.timedelta(days=1)), session)


def test_call_by_number_only_for_served_services(session: Session, q: QueueHall) -> None:
    take(session, q)
    notary = take(session, q, "notary")
    session.commit()
    refused("not_served_here", lambda: actions.call_number(session, q.windows[1].id, q.staff[1],
                                                           "B001", now=MONDAY), session)
    refused("unknown_ticket", lambda: actions.call_number(session, q.windows[1].id, q.staff[1],
                                                          "A999", now=MONDAY), session)
    called = actions.call_number(session, q.windows[2].id, q.staff[2], "b001", now=MONDAY)
    assert called.id == notary.id


def test_day_end_closes_unserved_tickets_and_numbers_restart(session: Session,
                                                             q: QueueHall) -> None:
    waiting = take(session, q)
    held = take(session, q)
    actions.call_next(session, q.windows[1].id, q.staff[1], now=MONDAY)
    actions.act(session, q.windows[1].id, q.staff[1], waiting.id, "hold")
    session.commit()
    next_day = MONDAY + dt.timedelta(days=1)
    ticket, _ = issue_ticket(session, q.hall, "legal-aid", actor="t", now=next_day)
    session.commit()
    assert ticket.number == "A001" and ticket.day == "2026-11-24"
    session.refresh(waiting), session.refresh(held)
    assert (waiting.state, waiting.close_reason) == ("cancelled", "day_end")
    assert (held.state, held.close_reason) == ("cancelled", "day_end")
    kinds = session.scalars(select(QueueEvent.kind).where(QueueEvent.hall_id == q.hall.id))
    assert "day_closed" in list(kinds)


def test_estimated_wait_uses_recent_service_times(session: Session, q: QueueHall) -> None:
    w3, s3 = q.windows[3].id, q.staff[3]
    first = take(session, q, "notary")
    actions.call_next(session, w3, s3, now=MONDAY)
    actions.act(session, w3, s3, first.id, "finish", now=MONDAY + dt.timedelta(minutes=10))
    session.commit()
    second, third = take(session, q, "notary", 11), take(session, q, "notary", 12)
    # Ten minutes per ticket, two open windows (2 and 3) serve notary: ceil(1 * 10 / 2) = 5.
    assert ticket_view(session, third)["people_ahead"] == 1
    assert ticket_view(session, third)["wait_minutes"] == 5
    assert ticket_view(session, second)["wait_minutes"] == 0


def test_idempotency_key_returns_the_same_ticket(session: Session, q: QueueHall) -> None:
    ticket = take(session, q, idempotency_key="tap-0001")
    again, created = issue_ticket(session, q.hall, "legal-aid", actor="t", now=MONDAY,
                                  idempotency_key="tap-0001")
    session.commit()
    assert not created and again.id == ticket.id
    assert session.scalar(select(Ticket.id).where(Ticket.number == "A002")) is None


def test_visitor_registration_is_checked(session: Session, q: QueueHall) -> None:
    ticket = take(session, q)
    w1, s1 = q.windows[1].id, q.staff[1]
    actions.call_next(session, w1, s1, now=MONDAY)
    session.commit()
    refused("bad_visitor", lambda: actions.register_visitor(
        session, w1, s1, ticket.id, {"matter": "咨询", "phone": "12345"}), session)
    actions.register_visitor(session, w1, s1, ticket.id,
                             {"name": "王某", "phone": "13800138000", "matter": "劳动争议咨询"})
    session.commit()
    assert ticket.visitor["matter"] == "劳动争议咨询" and ticket.visitor["staff"] == s1.username


def test_a_later_number_never_arrives_before_an_earlier_one(session: Session, q: QueueHall,
                                                             database_url: str) -> None:
    """Two requests wait for the counter while another holds it: whichever gets it first
    takes the lower number, and its arrival time (what 叫号 orders by) is not later than
    the next number's. The arrival is read once the number is taken, not on entry."""
    import threading
    import time

    from server.db import Database

    session.commit()
    database = Database(database_url)
    try:
        for _round in range(4):
            with database.sessions() as holder:
                issue_ticket(holder, holder.get(type(q.hall), q.hall.id), "legal-aid",
                             actor="holder")  # holds the counter until it commits
                waiters = []
                for name in ("first", "second"):
                    def wait(name: str = name) -> None:
                        with database.sessions() as own:
                            issue_ticket(own, own.get(type(q.hall), q.hall.id), "legal-aid",
                                         actor=name)
                            own.commit()
                    waiter = threading.Thread(target=wait)
                    waiter.start()
                    waiters.append(waiter)
                    time.sleep(0.15)  # "first" entered well before "second"
                holder.commit()
            for waiter in waiters:
                waiter.join(30)
        session.expire_all()
        tickets = session.scalars(select(Ticket).order_by(Ticket.seq)).all()
        assert [t.seq for t in tickets] == list(range(1, 13))
        arrivals = [t.arrival_at for t in tickets]
        assert arrivals == sorted(arrivals), [(t.number, t.arrival_at) for t in tickets]
    finally:
        database.engine.dispose()
