"""Appointments on SQLite and PostgreSQL: slots from the weekly table and the holiday
calendar, seats never over capacity (also with 20 phones at once), cancelling, and the
check-in rules: only a real booking for today's slot, in this hall, unused, goes first."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.appointments import service as appointments
from server.appointments.errors import AppointmentError
from server.appointments.models import Booking
from server.db import Database, upgrade
from server.fleet.actions import create_hall
from server.queue import actions
from server.queue.errors import QueueError
from server.queue.issuing import issue_ticket
from server.queue.setup import apply_setup, load_setup
from server.ratings.calendar import set_day
from tests.server.appointment_setup import MONDAY, MONDAY_0900, set_up_bookable
from tests.server.queue_setup import SETUP, QueueHall, make_queue_hall

PERSON = {"name": "张三", "phone": "+86 138-1234-5678", "matter": "继承公证"}


@pytest.fixture
def q(session: Session) -> QueueHall:
    hall = make_queue_hall(session)
    set_up_bookable(session, hall.hall)
    return hall


def _book(session: Session, q: QueueHall, start: str = "10:00", service: str = "notary",
          day: dt.date = MONDAY, **person: str) -> Booking:
    booking = appointments.book(session, q.hall, service, day, start, now=MONDAY_0900,
                                **(PERSON | person))
    session.commit()
    return booking


def _refused(code: str, session: Session, run: object) -> AppointmentError:
    with pytest.raises(AppointmentError) as refused:
        run()  # type: ignore[operator]
    session.rollback()
    assert refused.value.code == code
    assert refused.value.message_zh and refused.value.message_en
    return refused.value


def test_slots_follow_the_weekly_table_and_the_holiday_calendar(session: Session,
                                                                q: QueueHall) -> None:
    notary = appointments.bookable(session, q.hall, "notary")
    slots = appointments.open_slots(session, notary, MONDAY_0900)
    # Monday 09:00 has started: the first slot is 10:00; Saturday and Sunday have none.
    assert (slots[0].day, slots[0].start, slots[0].end, slots[0].free) == (
        MONDAY, "10:00", "11:00", 2)
    assert {slot.day.weekday() for slot in slots} == {0, 1, 2, 3, 4}
    adviser = appointments.bookable(session, q.hall, "adviser-qingxi")
    assert [(s.day.weekday(), s.start) for s in appointments.open_slots(
        session, adviser, MONDAY_0900)][:1] == [(2, "14:00")]
    tuesday, saturday = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=5)
    set_day(session, tuesday, True, "测试假日")
    set_day(session, saturday, False, "调休上班")
    session.commit()
    days = {slot.day for slot in appointments.open_slots(session, notary, MONDAY_0900)}
    assert tuesday not in days and saturday in days
    _refused("no_such_slot", session, lambda: _book(session, q, "09:00", day=tuesday))
    _refused("no_such_slot", session, lambda: _book(session, q, "09:00"))  # already begun
    _refused("no_such_slot", session, lambda: _book(session, q, "12:00"))
    _refused("no_such_slot", session, lambda: _book(session, q, "09:00",
                                                    day=MONDAY + dt.timedelta(days=60)))
    assert _book(session, q, "09:00", day=saturday).start == "09:00"


def test_booking_checks_the_visitor_and_fills_the_slot(session: Session, q: QueueHall) -> None:
    first = _book(session, q)
    assert first.phone == "13812345678" and first.seat == 1 and len(first.code) == 10
    assert appointments.typed_code(appointments.shown_code(first.code).lower()) == first.code
    _refused("already_booked", session, lambda: _book(session, q, "14:00"))
    _refused("bad_phone", session, lambda: _book(session, q, phone="12345"))
    _refused("bad_name", session, lambda: _book(session, q, name="  "))
    _refused("bad_matter", session, lambda: _book(session, q, matter="x" * 201))
    _refused("unknown_service", session, lambda: _book(session, q, service="divorce"))
    second = _book(session, q, phone="13900001111")
    assert second.seat == 2
    _refused("slot_full", session, lambda: _book(session, q, phone="13900002222"))
    appointments.cancel(session, first, MONDAY_0900)
    session.commit()
    assert first.seat is None and first.state == "cancelled"
    assert _book(session, q, phone="13900002222").seat == 1  # the cancelled seat again


def test_only_a_checked_booking_jumps_the_queue(session: Session, q: QueueHall) -> None:
    for code in ("1234", "123456789012", "ABCD2345"):  # what once jumped the queue
        with pytest.raises(QueueError) as refused:
            issue_ticket(session, q.hall, "notary", actor="t", now=MONDAY_0900,
                         priority="appointment", appointment_code=code)
        session.rollback()
        assert refused.value.code == "bad_appointment"
    walk_in, _ = issue_ticket(session, q.hall, "notary", actor="t", now=MONDAY_0900)
    booking = _book(session, q)
    at = MONDAY_0900 + dt.timedelta(minutes=40)  # 09:40, inside 09:30 (10:00 - 30 min)
    ticket, created = appointments.check_in(session, q.hall, appointments.shown_code(
        booking.code), phone="138 1234 5678", actor="t", now=at, idempotency_key="key-00001")
    session.commit()
    assert created and ticket.priority == "appointment" and ticket.appointment_code == booking.code
    assert booking.state == "checked_in" and booking.ticket_id == ticket.id
    again, created = appointments.check_in(session, q.hall, booking.code, actor="t", now=at,
                                           idempotency_key="key-00001")  # a retry
    assert again.id == ticket.id and not created
    called = actions.call_next(session, q.windows[3].id, q.staff[3], now=at)
    assert called.id == ticket.id != walk_in.id  # the booking goes first


def test_each_check_in_refusal(session: Session, q: QueueHall) -> None:
    other = create_hall(session, "QX-02", "青溪县公共法律服务工作站")
    apply_setup(session, other, load_setup(SETUP))
    session.commit()
    booking = _book(session, q)
    used = _book(session, q, "14:00", service="lawyer")
    later = _book(session, q, "09:00", day=MONDAY + dt.timedelta(days=1), service="lawyer",
                  phone="13900001111")
    cancelled = _book(session, q, "10:00", service="lawyer", phone="13900002222")
    appointments.cancel(session, cancelled, MONDAY_0900)
    session.commit()
    at = MONDAY_0900 + dt.timedelta(minutes=40)

    def check(code: str, *, phone: str = "", when: dt.datetime = at, hall: object = None
              ) -> None:
        appointments.check_in(session, hall or q.hall, code, phone=phone, actor="t",  # type: ignore[arg-type]
                              now=when)

    afternoon = MONDAY_0900 + dt.timedelta(hours=5)
    appointments.check_in(session, q.hall, used.code, actor="t", now=afternoon)
    session.commit()
    forged = "".join(reversed(booking.code))
    assert _refused("not_found", session, lambda: check(forged)).status == 404
    _refused("not_found", session, lambda: check("0000-0000"))  # not even a code's letters
    _refused("not_found", session, lambda: check(booking.code, phone="13900009999"))
    _refused("used", session, lambda: check(used.code, when=afternoon))
    _refused("cancelled", session, lambda: check(cancelled.code))
    refused = _refused("other_hall", session, lambda: check(booking.code, hall=other))
    assert "青溪市公共法律服务中心" in refused.message_zh
    refused = _refused("not_today", session, lambda: check(later.code))
    assert "2026-12-08 09:00" in refused.message_zh
    refused = _refused("too_early", session, lambda: check(booking.code, when=MONDAY_0900))
    assert "09:30" in refused.message_zh
    expired = MONDAY_0900 + dt.timedelta(hours=2, minutes=16)  # 11:16: past 11:00 + 15 min
    refused = _refused("expired", session, lambda: check(booking.code, when=expired))
    assert "11:00" in refused.message_en
    assert len({code for code in ("not_found", "used", "cancelled", "other_hall", "not_today",
                                  "too_early", "expired")}) == 7
    assert session.scalar(select(func.count()).select_from(Booking).where(
        Booking.state == "checked_in")) == 1  # nothing half-written by a refusal


@pytest.mark.timeout(300)
def test_twenty_phones_at_once_never_overbook(database_url: str) -> None:
    database = Database(database_url)
    upgrade(database.engine)
    with database.sessions() as session:
        q = make_queue_hall(session, sign_in_all=False)
        set_up_bookable(session, q.hall, [{
            "code": "notary", "name": "公证", "queue_service": "notary",
            "slots": {"mon": ["10:00-11:00"]}, "capacity": 5}])
        hall_id = q.hall.id
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def phone(index: int) -> None:
        barrier.wait()  # then all at once (before taking a connection: the pool is smaller)
        with database.sessions() as session:
            hall = session.get(type(q.hall), hall_id)
            assert hall is not None
            try:
                appointments.book(session, hall, "notary", MONDAY, "10:00", name="李四",
                                  phone=f"139{index:08d}", matter="公证", now=MONDAY_0900)
                session.commit()
                outcome = "booked"
            except AppointmentError as refused:
                session.rollback()
                outcome = refused.code
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(outcomes) == ["booked"] * 5 + ["slot_full"] * 15
    with database.sessions() as session:
        seats = session.scalars(select(Booking.seat).where(Booking.state == "booked")).all()
    assert sorted(seats) == [1, 2, 3, 4, 5]
    database.engine.dispose()


def test_the_database_itself_refuses_a_second_booking_of_a_seat(session: Session,
                                                               q: QueueHall) -> None:
    first = _book(session, q)
    copy = Booking(hall_id=first.hall_id, service_id=first.service_id, day=first.day,
                   start=first.start, end=first.end, seat=first.seat, code="ZZZZ2222",
                   token="another-token-0001", name="李四", phone="13900000000", matter="x")
    session.add(copy)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
