"""Integrity (廉洁纪律) complaints are seen and handled by supervisors only, so the window
staff member accused is never assigned one; everyone else who sees a complaint sees the
phone number masked (issue #12, finding 12). On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import User
from server.ratings import followup_views as views
from server.ratings import workflow
from server.ratings.complaints import submit
from server.ratings.models import FollowUp
from server.ratings.workflow import FollowUpError
from server.security import create_user
from tests.server.queue_setup import PASSWORD, QueueHall, make_queue_hall

API = "/api/v1"
PHONE = "13812345678"


def complaint_item(session: Session, q: QueueHall, category: str) -> FollowUp:
    complaint, _ = submit(session, q.hall, category=category, phone=PHONE,
                          content="2号窗口工作人员暗示要好处费", source="online")
    session.commit()
    item = session.scalar(select(FollowUp).where(FollowUp.complaint_id == complaint.id))
    assert item is not None
    return item


@pytest.fixture
def q(session: Session) -> QueueHall:
    hall = make_queue_hall(session)
    create_user(session, "boss-QX", PASSWORD, "supervisor", "QX-01")
    create_user(session, "deputy-QX", PASSWORD, "supervisor", "QX-01")
    session.commit()
    return hall


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.username == name))
    assert user is not None
    return user


def test_an_integrity_complaint_goes_to_supervisors_only(session: Session, q: QueueHall) -> None:
    boss, deputy, accused = _user(session, "boss-QX"), _user(session, "deputy-QX"), q.staff[2]
    item = complaint_item(session, q, "integrity")
    with pytest.raises(FollowUpError) as refused:
        workflow.assign(session, item, boss, accused.id)
    assert refused.value.code == "supervisors_only" and "主管" in refused.value.message
    session.rollback()
    assert {h["role"] for h in views.handlers(session, item)} == {"supervisor"}
    workflow.assign(session, item, boss, deputy.id, "请核查")
    session.commit()
    assert item.assignee_id == deputy.id
    # A staff member never sees it, even one assigned before supervisors-only existed.
    item.assignee_id = accused.id
    session.commit()
    with pytest.raises(FollowUpError) as hidden:
        workflow.load(session, item.id, accused)
    assert hidden.value.code == "not_found"
    rows, total = views.list_items(session, accused, views.Filters())
    assert total == 0 and rows == [] and views.counts(session, accused)["open"] == 0
    assert views.assigned_to(session, accused) == []
    seen = views.item_view(session, workflow.load(session, item.id, boss), boss)
    assert seen["complaint"]["phone"] == PHONE  # the supervisor calls back


def test_other_complaints_show_staff_a_masked_phone(session: Session, q: QueueHall) -> None:
    boss, helper = _user(session, "boss-QX"), q.staff[1]
    item = complaint_item(session, q, "waiting")
    assert {h["role"] for h in views.handlers(session, item)} == {"staff", "supervisor"}
    workflow.assign(session, item, boss, helper.id)
    session.commit()
    shown = views.item_view(session, workflow.load(session, item.id, helper), helper)
    assert shown["complaint"]["phone"] == "138****5678"
    assert views.item_view(session, item, boss)["complaint"]["phone"] == PHONE
    assert views.masked_phone("0931-1234567") == "0931******67" and views.masked_phone("") == ""


def test_staff_cannot_open_an_integrity_complaint_over_http(server_app: FastAPI) -> None:
    with server_app.state.database.sessions() as session:
        q = make_queue_hall(session)
        boss = create_user(session, "boss-QX", PASSWORD, "supervisor", "QX-01")
        item = complaint_item(session, q, "integrity")
        accused, item_id = q.staff[2], item.id
        item.assignee_id = accused.id  # as if assigned before the rule
        session.commit()
        accused_name, accused_id, boss_name = accused.username, accused.id, boss.username

    def signed_in(username: str) -> TestClient:
        client = TestClient(server_app)
        answer = client.post(f"{API}/session", json={"username": username, "password": PASSWORD})
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        return client

    staff, supervisor = signed_in(accused_name), signed_in(boss_name)
    assert staff.get(f"{API}/followups/{item_id}").status_code == 404
    assert staff.get(f"{API}/followups").json()["total"] == 0
    assert staff.get(f"/followups/{item_id}").status_code == 404
    assert PHONE not in staff.get("/my-ratings").text
    assert staff.post(f"{API}/followups/{item_id}/visit", json={"text": "已处理"}
                      ).status_code == 404
    detail = supervisor.get(f"{API}/followups/{item_id}").json()
    assert detail["complaint"]["phone"] == PHONE
    assert {h["role"] for h in detail["handlers"]} == {"supervisor"}
    refused = supervisor.post(f"{API}/followups/{item_id}/assign",
                              json={"assignee_id": accused_id})
    assert refused.status_code == 422 and refused.json()["error"] == "supervisors_only"
