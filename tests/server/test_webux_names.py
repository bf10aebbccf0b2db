"""Names instead of account ids (issue #16 item 15) and the ledger's phone rule, on SQLite
and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.fleet.actions import create_hall
from server.queue.actions import call_next, register_visitor
from server.queue.errors import QueueError
from server.queue.issuing import issue_ticket
from server.ratings.followup_views import actor_names
from server.security import create_user
from tests.server.queue_setup import make_queue_hall


def test_actors_are_shown_by_their_full_names(session: Session) -> None:
    create_hall(session, "NM-01", "名称测试中心")
    create_user(session, "li.supervisor", "a-long-password", "supervisor", "NM-01",
                full_name="李主管")
    create_user(session, "staff1", "a-long-password", "staff", "NM-01")  # no full name
    names = actor_names(session, {"li.supervisor", "user:li.supervisor", "staff1", "system",
                                  "visitor", "gone.user"})
    assert names == {"li.supervisor": "李主管", "user:li.supervisor": "李主管",
                     "staff1": "staff1", "system": "系统", "visitor": "群众",
                     "gone.user": "gone.user"}


def test_the_ledger_stores_one_form_of_the_number(session: Session) -> None:
    hall = make_queue_hall(session)
    ticket, _ = issue_ticket(session, hall.hall, "legal-aid", actor="test")
    window = hall.windows[1]
    called = call_next(session, window.id, hall.staff[1])
    assert called.id == ticket.id
    saved = register_visitor(session, window.id, hall.staff[1], ticket.id,
                             {"phone": "+86 138-1234-5678", "matter": "咨询"})
    assert saved.visitor["phone"] == "13812345678"
    saved = register_visitor(session, window.id, hall.staff[1], ticket.id,
                             {"phone": "（０１０）１２３４ ５６７８", "matter": "咨询"})
    assert saved.visitor["phone"] == "010-12345678"
    try:
        register_visitor(session, window.id, hall.staff[1], ticket.id,
                         {"phone": "138 1234 567", "matter": "咨询"})
    except QueueError as error:
        assert error.code == "bad_visitor" and error.detail == "phone"
    else:
        raise AssertionError("a short number was stored")


def test_complaints_store_the_same_form_as_the_ledger(session: Session) -> None:
    from server.ratings.complaints import ComplaintError, submit

    hall = create_hall(session, "PH-01", "号码测试中心")
    complaint, _ = submit(session, hall, category="waiting", phone="0086 138-1234-5678",
                          content="等了很久", source="online")
    assert complaint.phone == "13812345678"
    landline, _ = submit(session, hall, category="waiting", phone="+86 931 123 4567",
                         content="电话打不通", source="online")
    assert landline.phone == "0931-1234567"
    try:
        submit(session, hall, category="waiting", phone="138", content="", source="online")
    except ComplaintError as error:
        assert error.code == "bad_phone" and "区号" in error.message
    else:
        raise AssertionError("a three-digit number was stored")
