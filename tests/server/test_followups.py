"""The follow-up workflow (差评回访整改, 申诉复核), the holiday calendar, the follow-up API and
the online complaint form, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.fleet.actions import create_hall
from server.models import Hall, User
from server.queue import actions
from server.queue.issuing import issue_ticket
from server.queue.models import Ticket
from server.ratings import calendar, workflow
from server.ratings import followup_views as views
from server.ratings.complaints import ComplaintError, submit
from server.ratings.followup import due_date
from server.ratings.models import CalendarDay, Complaint, FollowUp, FollowUpEvent, Rating
from server.ratings.rules import add_working_days, rate
from server.ratings.workflow import FollowUpError
from server.security import create_user
from tests.server.queue_setup import PASSWORD, QueueHall, make_queue_hall

API = "/api/v1"


def finished_ticket(session: Session, q: QueueHall, window: int = 1) -> Ticket:
    """A legal-aid ticket called and finished at the window by its staff member."""
    ticket, _ = issue_ticket(session, q.hall, "legal-aid", actor="test")
    actions.call_next(session, q.windows[window].id, q.staff[window])
    actions.act(session, q.windows[window].id, q.staff[window], ticket.id, "finish")
    session.commit()
    return ticket


def bad_rating(session: Session, q: QueueHall, window: int = 1) -> FollowUp:
    """A 非常不满意 rating of a finished ticket; the follow-up it opened."""
    rating, _ = rate(session, q.hall, level=1, reasons=["服务态度差"], source="pad",
                     ticket=finished_ticket(session, q, window))
    session.commit()
    item = session.scalar(select(FollowUp).where(FollowUp.rating_id == rating.id))
    assert item is not None
    return item


def refused(code: str, session: Session, step: Callable[..., object], *args: object) -> None:
    """The step raises FollowUpError with code, and nothing it did is kept."""
    with pytest.raises(FollowUpError) as caught:
        step(session, *args)
    session.rollback()
    assert caught.value.code == code and caught.value.message


def trail(session: Session, item: FollowUp) -> list[tuple[str, str, str]]:
    """The audit trail as (kind, actor, note)."""
    return [(e.kind, e.actor, e.note) for e in session.scalars(select(FollowUpEvent).where(
        FollowUpEvent.follow_up_id == item.id).order_by(FollowUpEvent.id))]


@pytest.fixture
def q(session: Session) -> QueueHall:
    """The queue hall with a supervisor."""
    hall = make_queue_hall(session)
    create_user(session, "boss-QX", PASSWORD, "supervisor", "QX-01", full_name="王主任")
    session.commit()
    return hall


def supervisor(session: Session) -> User:
    user = session.scalar(select(User).where(User.username == "boss-QX"))
    assert user is not None
    return user


def test_assign_visit_close_with_refusals_and_a_full_audit_trail(session: Session,
                                                                 q: QueueHall) -> None:
    boss, rated, helper = supervisor(session), q.staff[1], q.staff[2]
    item = bad_rating(session, q)
    assert (item.state, item.staff_id, item.window_id) == ("open", rated.id, q.windows[1].id)
    other_hall = create_hall(session, "QX-02", "另一个中心")
    outsider = create_user(session, "staff-QX-02", PASSWORD, "staff", "QX-02")
    it_admin = create_user(session, "it-QX", PASSWORD, "it_admin")
    session.commit()

    refused("supervisor_only", session, workflow.assign, item, helper, helper.id)
    refused("own_rating", session, workflow.assign, item, boss, rated.id)
    refused("bad_assignee", session, workflow.assign, item, boss, outsider.id)
    refused("bad_assignee", session, workflow.assign, item, boss, it_admin.id)
    refused("bad_assignee", session, workflow.assign, item, boss, 999_999)
    refused("not_handler", session, workflow.visit, item, helper, "打过电话")  # not assigned yet
    refused("own_rating", session, workflow.visit, item, rated, "我自己回访")
    refused("wrong_state", session, workflow.close, item, boss, "已整改")  # not visited yet
    with pytest.raises(FollowUpError) as caught:
        workflow.load(session, item.id, outsider)
    assert caught.value.code == "not_found" and other_hall.id != item.hall_id

    workflow.assign(session, item, boss, helper.id, "请两日内回访")
    session.commit()
    refused("visit_note_required", session, workflow.visit, item, helper, "   ")
    refused("too_long", session, workflow.visit, item, helper, "长" * (workflow.NOTE_MAX + 1))
    workflow.visit(session, item, helper, "已电话联系群众，核实等候过长属实")
    session.commit()
    refused("wrong_state", session, workflow.visit, item, helper, "再次回访")
    refused("resolution_required", session, workflow.close, item, helper, "")
    workflow.close(session, item, helper, "已增开午间窗口，并向群众致歉")
    session.commit()

    session.refresh(item)
    assert item.state == "closed" and item.closed_at and item.visited_at
    assert item.resolution == "已增开午间窗口，并向群众致歉"
    for step, args in ((workflow.assign, (boss, helper.id)), (workflow.visit, (boss, "x")),
                       (workflow.close, (boss, "x")), (workflow.appeal, (rated, "x"))):
        refused("wrong_state", session, step, item, *args)
    assert trail(session, item) == [
        ("opened", "system", ""), ("assigned", boss.username, "请两日内回访"),
        ("visited", helper.username, "已电话联系群众，核实等候过长属实"),
        ("closed", helper.username, "已增开午间窗口，并向群众致歉")]
    assigned = session.scalar(select(FollowUpEvent).where(
        FollowUpEvent.follow_up_id == item.id, FollowUpEvent.kind == "assigned"))
    assert assigned is not None
    assert assigned.detail == {"user_id": boss.id, "role": "supervisor",
                               "assignee_id": helper.id, "assignee": helper.username,
                               "previous_assignee_id": None}
    assert workflow.allowed_steps(item, boss) == []


def counted(session: Session) -> set[int]:
    return set(session.scalars(select(Rating.id).where(workflow.counts_for_staff())))


def test_appeal_only_by_the_rated_staff_and_the_supervisors_decision(session: Session,
                                                                     q: QueueHall) -> None:
    boss, rated, colleague = supervisor(session), q.staff[1], q.staff[2]
    upheld, overturned = bad_rating(session, q), bad_rating(session, q)
    complaint, _ = submit(session, q.hall, category="waiting", content="等太久", source="online")
    session.commit()
    complaint_item = session.scalar(select(FollowUp).where(FollowUp.complaint_id == complaint.id))
    assert complaint_item is not None
    assert workflow.allowed_steps(upheld, rated) == ["appeal"]
    assert workflow.allowed_steps(upheld, boss) == ["assign", "visit"]

    refused("not_rated_staff", session, workflow.appeal, upheld, colleague, "不是我")
    refused("not_rated_staff", session, workflow.appeal, upheld, boss, "恶意差评")
    refused("not_a_rating", session, workflow.appeal, complaint_item, rated, "与我无关")
    refused("reason_required", session, workflow.appeal, upheld, rated, " ")
    workflow.visit(session, upheld, boss, "群众称等候太久")
    workflow.appeal(session, upheld, rated, "当天系统故障，非本人原因")
    session.commit()
    assert upheld.state == "appealed" and upheld.appeal_reason == "当天系统故障，非本人原因"
    refused("wrong_state", session, workflow.close, upheld, boss, "x")  # waits for the decision
    refused("wrong_state", session, workflow.appeal, upheld, rated, "再申诉")
    refused("supervisor_only", session, workflow.decide, upheld, colleague, "upheld", "x")
    refused("supervisor_only", session, workflow.decide, upheld, rated, "overturned", "x")
    refused("bad_decision", session, workflow.decide, upheld, boss, "maybe", "x")
    refused("decision_note_required", session, workflow.decide, upheld, boss, "upheld", "")
    workflow.decide(session, upheld, boss, "upheld", "系统日志显示当天正常")
    session.commit()
    assert (upheld.state, upheld.appeal_decision) == ("visited", "upheld")  # back where it was
    refused("already_appealed", session, workflow.appeal, upheld, rated, "再次申诉")
    workflow.close(session, upheld, boss, "已组织窗口人员学习服务规范")
    session.commit()

    workflow.appeal(session, overturned, rated, "该群众在大厅内辱骂后给差评")
    session.commit()
    workflow.decide(session, overturned, boss, "overturned", "监控核实，属恶意评价")
    session.commit()
    assert overturned.state == "closed" and overturned.closed_at is not None
    assert overturned.resolution == "监控核实，属恶意评价"
    assert counted(session) == {upheld.rating_id}  # the overturned one no longer counts
    assert [kind for kind, _, _ in trail(session, upheld)] == [
        "opened", "visited", "appealed", "upheld", "closed"]
    assert trail(session, overturned)[1:] == [
        ("appealed", rated.username, "该群众在大厅内辱骂后给差评"),
        ("overturned", boss.username, "监控核实，属恶意评价")]
    events = session.scalars(select(FollowUpEvent.detail).where(
        FollowUpEvent.follow_up_id == upheld.id, FollowUpEvent.kind.in_(["appealed", "upheld"]))
        .order_by(FollowUpEvent.id)).all()
    assert events[0]["previous"] == "visited" and events[1]["state"] == "visited"


def test_a_supervisor_rated_at_a_window_cannot_handle_their_own_rating(
        session: Session, q: QueueHall) -> None:
    boss = supervisor(session)
    deputy = create_user(session, "deputy-QX", PASSWORD, "supervisor", "QX-01")
    window = q.windows[3]
    actions.set_window_state(session, window.id, q.staff[3], "closed")  # staff3 signs out
    actions.sign_in(session, window.id, boss)
    ticket, _ = issue_ticket(session, q.hall, "notary", actor="test")
    actions.call_next(session, window.id, boss)
    actions.act(session, window.id, boss, ticket.id, "finish")
    rating, _ = rate(session, q.hall, level=2, source="phone", ticket=ticket)
    session.commit()
    item = session.scalar(select(FollowUp).where(FollowUp.rating_id == rating.id))
    assert item is not None and item.staff_id == boss.id
    assert workflow.allowed_steps(item, boss) == ["appeal"]
    refused("own_rating", session, workflow.visit, item, boss, "自己回访")
    refused("own_rating", session, workflow.assign, item, boss, q.staff[1].id)
    refused("own_rating", session, workflow.assign, item, deputy, boss.id)
    workflow.appeal(session, item, boss, "群众误评")
    session.commit()
    refused("own_rating", session, workflow.decide, item, boss, "overturned", "自己复核")
    workflow.decide(session, item, deputy, "upheld", "维持")
    session.commit()
    assert item.state == "open" and [kind for kind, _, _ in trail(session, item)] == [
        "opened", "appealed", "upheld"]


def test_calendar_import_due_dates_and_overdue_over_weekends_and_holidays(
        session: Session, q: QueueHall) -> None:
    assert calendar.import_calendar(session) == 33 + 6  # 33 days off, 6 worked weekend days
    session.commit()
    national_day = calendar.days_between(session, dt.date(2026, 9, 20), dt.date(2026, 10, 10))
    assert [(d.day.day, d.off) for d in national_day] == [
        (20, False), (25, True), (26, True), (27, True), *[(day, True) for day in range(1, 8)],
        (10, False)]
    # Wednesday 30 September + 5 working days: 1-7 October off, Saturday 10 October worked.
    assert due_date(session, dt.date(2026, 9, 30), 5) == dt.date(2026, 10, 13)
    # New Year: 1-3 January off, Sunday 4 January is a working day.
    assert due_date(session, dt.date(2025, 12, 31), 1) == dt.date(2026, 1, 4)
    assert due_date(session, dt.date(2026, 11, 20), 5) == dt.date(2026, 11, 27)  # one weekend

    item = bad_rating(session, q)
    item.due_on = due_date(session, dt.date(2026, 9, 30), 5)
    session.commit()
    assert not workflow.is_overdue(item, dt.date(2026, 10, 13))  # due today is not late
    assert workflow.is_overdue(item, dt.date(2026, 10, 14))
    boss = supervisor(session)
    late = views.Filters(overdue=True)
    rows, _total = views.list_items(session, boss, late, on=dt.date(2026, 10, 14))
    assert [row["id"] for row in rows] == [item.id]
    assert views.list_items(session, boss, late, on=dt.date(2026, 10, 13))[1] == 0
    assert views.counts(session, boss, on=dt.date(2026, 10, 14))["overdue"] == 1
    workflow.visit(session, item, boss, "已回访")
    workflow.close(session, item, boss, "已整改")
    session.commit()
    assert not workflow.is_overdue(item, dt.date(2027, 1, 1))  # closed items are never late

    # A holiday set by hand moves the due date of an item opened today.
    today = workflow.today()
    holiday = add_working_days(today, 1)
    calendar.set_day(session, holiday, True, "地方假日")
    session.commit()
    fresh = bad_rating(session, q)
    assert fresh.due_on == add_working_days(today, 5, [holiday]) > add_working_days(today, 5)
    assert calendar.clear_day(session, holiday) and not calendar.clear_day(session, holiday)


@pytest.mark.parametrize("text, message", [
    ("holidays: []", "没有 holidays"),
    ("holidays:\n  - {name: 国庆节, from: 2026-10-01, to: 2026-13-07}", "无效日期"),
    ("holidays:\n  - {name: 国庆节, from: 十月一日}", "不是 YYYY-MM-DD"),
    ("holidays:\n  - {name: 国庆节, from: 2026-10-07, to: 2026-10-01}", "结束日期"),
    ("holidays:\n  - {name: 国庆节, from: 2026-10-01, to: 2026-10-07, work: [2026-10-09]}",
     "应是假期以外的周末"),
    ("holidays:\n  - {name: A, from: 2026-10-10}\n  - {name: B, from: 2026-10-09, "
     "to: 2026-10-09, work: [2026-10-10]}", "既是假日又是调休上班日"),
    ("holidays:\n  - {from: 2026-10-01}", "缺少名称"),
    ("holidays:\n  - {name: X, from: 2026-10-01, until: 2026-10-02}", "未知字段"),
    ("holidays: [", "YAML"),
])
def test_calendar_files_with_mistakes_are_refused_whole(session: Session, text: str,
                                                        message: str) -> None:
    with pytest.raises(calendar.CalendarError, match=message):
        calendar.import_calendar(session, text)
    assert session.scalar(select(func.count()).select_from(CalendarDay)) == 0
    with pytest.raises(calendar.CalendarError, match="工作日"):
        calendar.set_day(session, dt.date(2026, 11, 23), False)  # a Monday is already worked


def test_complaint_refusals_and_idempotent_resubmission(session: Session, q: QueueHall) -> None:
    for code, options in (("bad_category", {"category": "bribery"}),
                          ("bad_phone", {"category": "waiting", "phone": "12345"}),
                          ("bad_phone", {"category": "waiting", "phone": "1380013800a"}),
                          ("content_too_long", {"category": "other", "content": "长" * 1001}),
                          ("bad_key", {"category": "other", "idempotency_key": "short"})):
        with pytest.raises(ComplaintError) as caught:
            submit(session, q.hall, source="online", **options)  # type: ignore[arg-type]
        session.rollback()
        assert caught.value.code == code
    first, created = submit(session, q.hall, category="waiting", phone="138 0013 8000",
                            content="排队太久", source="online", idempotency_key="web-key-0001")
    session.commit()
    again, created_again = submit(session, q.hall, category="waiting", content="排队太久",
                                  source="online", idempotency_key="web-key-0001")
    assert created and not created_again and again.id == first.id and first.phone == "13800138000"
    assert session.scalar(select(func.count()).select_from(Complaint)) == 1
    assert session.scalar(select(func.count()).select_from(FollowUp).where(
        FollowUp.kind == "complaint")) == 1


# -- the API ------------------------------------------------------------------------------


def api_hall(app: FastAPI) -> dict[str, int]:
    """The queue hall with a supervisor, one bad rating of window 1 and one complaint; ids."""
    with app.state.database.sessions() as session:
        q = make_queue_hall(session)
        create_user(session, "boss-QX", PASSWORD, "supervisor", "QX-01")
        create_user(session, "it-QX", PASSWORD, "it_admin")
        item = bad_rating(session, q)
        return {"item": item.id, "rated": q.staff[1].id, "helper": q.staff[2].id}


def signed_in(app: FastAPI, username: str) -> TestClient:
    """A client of its own (own cookies) signed in as username, sending the CSRF header."""
    client = TestClient(app)
    response = client.post(f"{API}/session", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


def test_api_lists_filters_and_runs_each_step_with_chinese_refusals(
        server_app: FastAPI, client: TestClient) -> None:
    ids = api_hall(server_app)
    boss, rated = signed_in(server_app, "boss-QX"), signed_in(server_app, "staff1-QX-01")
    helper = signed_in(server_app, "staff2-QX-01")
    assert client.get(f"{API}/followups").status_code == 401
    listing = boss.get(f"{API}/followups", params={"state": "active", "kind": "rating"}).json()
    assert [row["id"] for row in listing["items"]] == [ids["item"]]
    row = listing["items"][0]
    assert (row["subject"], row["ticket"], row["window"], row["overdue"]) == (
        "非常不满意", "A001", 1, False)
    assert listing["counts"]["open"] == 1 and listing["counts"]["overdue"] == 0
    assert boss.get(f"{API}/followups", params={"overdue": "true"}).json()["total"] == 0
    assert boss.get(f"{API}/followups", params={"kind": "complaint"}).json()["total"] == 0
    assert boss.get(f"{API}/followups", params={"state": "nonsense"}).status_code == 422
    assert helper.get(f"{API}/followups").json()["total"] == 0  # neither assigned nor rated
    assert helper.get(f"{API}/followups/{ids['item']}").status_code == 404

    detail = boss.get(f"{API}/followups/{ids['item']}").json()
    assert detail["rating"]["ticket"]["number"] == "A001"
    assert detail["rating"]["service"] == "法律援助" and detail["rating"]["window"]["number"] == 1
    assert detail["rating"]["staff"]["id"] == ids["rated"]
    assert detail["steps"] == ["assign", "visit"]
    assert ids["rated"] not in [person["id"] for person in detail["handlers"]]

    step = f"{API}/followups/{ids['item']}"
    no_csrf = boss.post(f"{step}/visit", json={"text": "x"}, headers={"X-CSRF-Token": ""})
    assert no_csrf.status_code == 403
    wrong = boss.post(f"{step}/close", json={"text": "已整改"})
    assert wrong.status_code == 409
    assert wrong.json() == {"error": "wrong_state",
                            "message": FollowUpError("wrong_state").message,
                            "message_en": FollowUpError("wrong_state").message_en}
    assert rated.post(f"{step}/assign", json={"assignee_id": ids["helper"]}).json()["error"] \
        == "supervisor_only"
    assert boss.post(f"{step}/assign", json={"assignee_id": ids["helper"]}).status_code == 200
    assert helper.get(f"{API}/followups").json()["total"] == 1
    visited = helper.post(f"{step}/visit", json={"text": "电话回访，群众认可"})
    assert visited.status_code == 200 and visited.json()["state"] == "visited"
    appealed = rated.post(f"{step}/appeal", json={"text": "恶意差评"})
    assert appealed.json()["state"] == "appealed"
    assert boss.post(f"{step}/decide", json={"decision": "upheld", "note": ""}).json()[
        "error"] == "decision_note_required"
    decided = boss.post(f"{step}/decide", json={"decision": "overturned", "note": "核实属实"})
    body = decided.json()
    assert body["state"] == "closed" and body["excluded"] and body["appeal_decision"] == \
        "overturned"
    assert [e["kind"] for e in body["events"]] == ["opened", "assigned", "visited", "appealed",
                                                    "overturned"]
    mine = rated.get(f"{API}/followups/my-ratings").json()["ratings"]
    assert mine[0]["follow_up"]["appeal_decision"] == "overturned"
    assert not mine[0]["follow_up"]["can_appeal"]


def test_api_calendar_is_managed_by_it(server_app: FastAPI, client: TestClient) -> None:
    api_hall(server_app)
    with server_app.state.database.sessions() as session:
        create_user(session, "it-hall-QX", PASSWORD, "it_admin", "QX-01")
        session.commit()
    it, boss = signed_in(server_app, "it-QX"), signed_in(server_app, "boss-QX")
    assert boss.post(f"{API}/calendar/import").status_code == 403
    # The calendar is the province's: an IT admin of one hall reads it, does not change it.
    hall_it = signed_in(server_app, "it-hall-QX")
    assert hall_it.post(f"{API}/calendar/import").status_code == 403
    assert hall_it.put(f"{API}/calendar/2026-11-25", json={"off": True}).status_code == 403
    assert hall_it.get(f"{API}/calendar", params={"year": 2026}).status_code == 200
    assert it.post(f"{API}/calendar/import").json() == {"days": 39}
    bad = it.post(f"{API}/calendar/import", content="holidays: []",
                  headers={"Content-Type": "text/plain"})
    assert bad.status_code == 422 and "holidays" in bad.json()["message"]
    assert it.put(f"{API}/calendar/2026-11-25", json={"off": False}).json()["error"] == \
        "bad_calendar"
    assert it.put(f"{API}/calendar/2026-11-25", json={"off": True, "name": "地方假日"}).json() \
        == {"day": "2026-11-25", "off": True, "name": "地方假日"}
    days = boss.get(f"{API}/calendar", params={"year": 2026}).json()["days"]
    assert len(days) == 40 and {"day": "2026-11-25", "off": True, "name": "地方假日"} in days
    assert it.delete(f"{API}/calendar/2026-11-25").status_code == 200
    assert it.delete(f"{API}/calendar/2026-11-25").status_code == 404


def test_online_complaint_api_and_form(server_app: FastAPI, client: TestClient) -> None:
    api_hall(server_app)
    url = f"{API}/complaints/QX-01"
    assert client.post(f"{API}/complaints/NOPE", json={"category": "other", "content": "x"}) \
        .json()["error"] == "unknown_hall"
    for body, code in (({"category": "x", "content": "内容"}, "bad_category"),
                       ({"category": "waiting", "content": " "}, "content_required"),
                       ({"category": "waiting", "content": "内容", "phone": "110"}, "bad_phone"),
                       ({"category": "waiting", "content": "长" * 1001}, "content_too_long")):
        response = client.post(url, json=body)
        assert response.status_code == 422 and response.json()["error"] == code
        assert re.search(r"[\u4e00-\u9fff]", response.json()["message"])
    body = {"category": "suggestion", "content": "希望增加老花镜",
            "idempotency_key": "phone-abc-123"}
    first, second = client.post(url, json=body), client.post(url, json=body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json() and first.json()["kind"] == "suggestion"

    page = client.get("/complain/QX-01")
    assert page.status_code == 200 and "青溪市公共法律服务中心" in page.text
    key = re.search(r'name="key" value="([^"]+)"', page.text)
    assert key is not None
    form = {"category": "waiting", "phone": "0931-1234567x", "content": "等了一上午",
            "key": key.group(1)}
    refused_page = client.post("/complain/QX-01", data=form)
    assert refused_page.status_code == 422 and "正确的手机号码" in refused_page.text
    assert "等了一上午" in refused_page.text and key.group(1) in refused_page.text  # kept
    form["phone"] = "0931-1234567"
    sent, resent = (client.post("/complain/QX-01", data=form) for _ in range(2))
    assert sent.status_code == resent.status_code == 200 and "已收到您的投诉" in sent.text
    with server_app.state.database.sessions() as session:
        hall = session.scalar(select(Hall).where(Hall.code == "QX-01"))
        assert hall is not None
        assert session.scalar(select(func.count()).select_from(Complaint).where(
            Complaint.hall_id == hall.id)) == 2  # the suggestion and one online complaint
    assert client.get("/complain/NOPE").status_code == 404


def test_pages_mark_overdue_items_and_keep_what_was_typed_on_a_refusal(
        server_app: FastAPI, client: TestClient) -> None:
    ids = api_hall(server_app)
    with server_app.state.database.sessions() as session:
        item = session.get(FollowUp, ids["item"])
        assert item is not None
        item.due_on = workflow.today() - dt.timedelta(days=1)
        session.commit()
    boss, rated = signed_in(server_app, "boss-QX"), signed_in(server_app, "staff1-QX-01")
    assert client.get("/followups", follow_redirects=False).headers["location"] == \
        "/login?next=/followups"
    assert rated.get("/followups").status_code == 403  # the list is the supervisors'
    listing = boss.get("/followups")
    row = re.search(rf'<tr data-id="{ids["item"]}" class="overdue">.*?</tr>', listing.text, re.S)
    assert row is not None and "已超期" in row.group(0)
    assert boss.get("/followups?overdue=0").text.count("<tr data-id=") == 0

    csrf = boss.headers.pop("X-CSRF-Token")
    page = f"/followups/{ids['item']}"
    assert boss.post(f"{page}/visit", data={"text": "x"}).status_code == 403  # no token
    refused_page = boss.post(f"{page}/close", data={"text": "已整改，材料清单上墙",
                                                    "csrf_token": csrf})
    assert refused_page.status_code == 409 and "当前的状态不能执行此操作" in refused_page.text
    assert "已整改，材料清单上墙" in refused_page.text  # kept for another try
    done = boss.post(f"{page}/visit", data={"text": "已回访", "csrf_token": csrf},
                     follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{page}?done=visit"
    assert "回访记录已保存。" in boss.get(done.headers["location"]).text

    mine = rated.get("/my-ratings")
    assert mine.status_code == 200 and "A001" in mine.text and "提交申诉" in mine.text
    rated_csrf = rated.headers.pop("X-CSRF-Token")
    empty = rated.post(f"/my-ratings/{ids['item']}/appeal", data={"csrf_token": rated_csrf})
    assert empty.status_code == 422 and "请填写申诉理由。" in empty.text
    sent = rated.post(f"/my-ratings/{ids['item']}/appeal", follow_redirects=False,
                      data={"text": "恶意评价", "csrf_token": rated_csrf})
    assert sent.headers["location"] == "/my-ratings?done=appeal"
    assert "申诉复核中" in rated.get("/my-ratings").text
    twice = rated.post(f"/my-ratings/{ids['item']}/appeal",
                       data={"text": "再申诉一次", "csrf_token": rated_csrf})
    assert twice.status_code == 409 and "再申诉一次" in twice.text  # shown, not lost
    assert rated.get(f"/followups/{ids['item']}").status_code == 200  # their own rating
    helper = signed_in(server_app, "staff2-QX-01")
    assert helper.get(f"/followups/{ids['item']}").status_code == 404
