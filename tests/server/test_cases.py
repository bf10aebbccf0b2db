"""Cases on SQLite and PostgreSQL: codes, the state machine and its history, deadlines in
working days (weekends and the holiday calendar skipped), assignment, transfer between
halls, and that staff of another hall see nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.cases import queries as case_queries
from server.cases import rules as case_rules
from server.cases import steps as case_steps
from server.cases import views
from server.cases.errors import CaseError
from server.cases.models import Case, CaseEvent
from server.ratings.calendar import set_day
from tests.server.case_setup import APPLICANT, CaseHalls, make_case_halls

# Friday 2026-12-04 10:00 in the hall (CST).
FRIDAY = dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def h(session: Session) -> CaseHalls:
    return make_case_halls(session)


def _new(session: Session, h: CaseHalls, kind: str = "legal_aid",
         at: dt.datetime = FRIDAY, **extra: object) -> Case:
    case, created = case_steps.create(session, h.a, kind, at=at, **(APPLICANT | extra))
    session.commit()
    assert created
    return case


def _refused(code: str, session: Session, run: object) -> None:
    with pytest.raises(CaseError) as refused:
        run()  # type: ignore[operator]
    session.rollback()
    assert refused.value.code == code


def test_codes_are_readable_unique_and_found_by_code_or_phone_and_code(
        session: Session, h: CaseHalls) -> None:
    made = [_new(session, h) for _ in range(20)]
    codes = {case.code for case in made}
    assert len(codes) == 20 and all(len(code) == 12 and code.isdigit() for code in codes)
    case = made[0]
    shown = case_rules.shown_code(case.code)
    assert shown.count("-") == 2 and shown.replace("-", "") == case.code
    assert case.phone == "13812345678"  # normalised
    assert case_queries.lookup(session, shown).id == case.id
    assert case_queries.lookup(session, f" {case.code} ", "138 1234 5678").id == case.id
    wrong = "0" * 12 if case.code != "0" * 12 else "1" * 12
    for code, phone in ((wrong, ""), (case.code, "13900000000"), ("12345", ""), ("x", "")):
        _refused("not_found", session, lambda c=code, p=phone: case_queries.lookup(session, c, p))
    found = case_queries.by_token(session, case.token)
    assert found is not None and found.id == case.id
    assert case_queries.by_token(session, "no-such-token-at-all-here") is None


def test_bad_input_is_refused(session: Session, h: CaseHalls) -> None:
    _refused("bad_kind", session, lambda: case_steps.create(session, h.a, "lottery", **APPLICANT))
    _refused("bad_phone", session, lambda: case_steps.create(
        session, h.a, "callback", name="", phone="12345", matter="咨询"))
    _refused("bad_phone", session, lambda: case_steps.create(
        session, h.a, "callback", name="", phone="", matter="咨询"))
    _refused("bad_name", session, lambda: case_steps.create(
        session, h.a, "legal_aid", name="张" * 41, phone="13812345678", matter="咨询"))
    _refused("bad_matter", session, lambda: case_steps.create(
        session, h.a, "legal_aid", name="李四", phone="13812345678", matter="x" * 201))
    _refused("bad_code", session, lambda: case_steps.create(
        session, h.a, "legal_aid", code="12AB", **APPLICANT))
    assert session.scalar(select(Case.id)) is None


def test_state_machine_history_and_deadlines(session: Session, h: CaseHalls) -> None:
    # National Day-like holiday on Monday 12-07 and Tuesday 12-08; Sunday 12-13 worked.
    set_day(session, dt.date(2026, 12, 7), True, "测试假日")
    set_day(session, dt.date(2026, 12, 8), True, "测试假日")
    set_day(session, dt.date(2026, 12, 13), False, "测试调休")
    session.commit()
    case = _new(session, h)
    # 7 working days from Friday 12-04: skips Sat, Sun, the two holidays; counts the
    # adjusted Sunday 12-13: 9, 10, 11, 13(Sun), 14, 15, 16.
    assert case.state == "submitted" and case.due_on == dt.date(2026, 12, 16)
    callback = _new(session, h, "callback")
    assert callback.due_on == dt.date(2026, 12, 9)  # one working day, after the holidays

    # Steps that do not start from the state are refused and change nothing.
    _refused("wrong_state", session, lambda: case_steps.close(session, case, h.staff_a))
    assert case.state == "submitted"
    _refused("message_required", session,
             lambda: case_steps.needs_more(session, case, h.staff_a, "  "))
    case_steps.needs_more(session, case, h.staff_a, "请补充身份证复印件和收入证明。", "电话已告知",
                          now=FRIDAY + dt.timedelta(hours=1))
    session.commit()
    assert case.state == "needs_more"
    # Waiting for the visitor is never overdue, whatever the date.
    assert not case_rules.is_overdue(case, dt.date(2027, 1, 30))
    monday_after = dt.datetime(2026, 12, 14, 2, 0, tzinfo=dt.UTC)
    case_steps.accept(session, case, h.staff_a, now=monday_after)
    session.commit()
    # Accepted on 12-14: 15 working days to finish, from then (no more holidays set).
    assert case.state == "accepted" and case.due_on == dt.date(2027, 1, 4)
    assert not case_rules.is_overdue(case, dt.date(2027, 1, 4))
    assert case_rules.is_overdue(case, dt.date(2027, 1, 5))
    _refused("wrong_state", session, lambda: case_steps.accept(session, case, h.staff_a))
    case_steps.transfer(session, case, h.staff_a, department="县劳动监察大队",
                        now=monday_after + dt.timedelta(hours=2))
    session.commit()
    assert case.state == "transferred" and case.transferred_to == "县劳动监察大队"
    case_steps.close(session, case, h.staff_a, "已指派律师，援助完毕。", "结案归档",
                     now=monday_after + dt.timedelta(days=3))
    session.commit()
    assert case.state == "closed" and case.closed_at is not None
    assert not case_rules.is_overdue(case, dt.date(2030, 1, 1))
    for step in ("accept", "needs_more", "close"):
        _refused("wrong_state", session,
                 lambda s=step: case_steps.take_step(session, case, h.staff_a, s, message="x"))
    _refused("wrong_state", session, lambda: case_steps.take_step(
        session, case, h.staff_a, "transfer", department="别处"))

    history = case_queries.events(session, case)
    assert [(e.kind, e.state) for e in history] == [
        ("submitted", "submitted"), ("needs_more", "needs_more"), ("accepted", "accepted"),
        ("transferred", "transferred"), ("closed", "closed")]
    assert all(e.actor == "staff:case-staff-a" for e in history[1:])
    assert history[0].actor == "system" and history[0].at.replace(tzinfo=dt.UTC) == FRIDAY
    assert history[1].message == "请补充身份证复印件和收入证明。"
    assert history[1].note == "电话已告知"
    assert "县劳动监察大队" in history[3].message
    assert history[4].message == "已指派律师，援助完毕。"
    # The visitor's view: the messages, never the staff notes or who did it.
    progress = views.progress_view(session, case)
    assert [s["state_name"] for s in progress["steps"]] == [
        "已提交", "需补正", "已受理", "已转办", "已办结"]
    assert progress["name"] == "张*" and progress["phone"] == "138****5678"
    assert "note" not in str(progress["steps"]) and "结案归档" not in str(progress)
    assert "case-staff-a" not in str(progress)


def test_assignment_and_overdue_filters(session: Session, h: CaseHalls) -> None:
    case = _new(session, h)
    other = _new(session, h, "callback", at=FRIDAY - dt.timedelta(days=30))
    _refused("supervisor_only", session,
             lambda: case_steps.assign(session, case, h.staff_a, h.staff_a.id))
    _refused("bad_assignee", session,
             lambda: case_steps.assign(session, case, h.boss_a, h.staff_b.id))  # another hall's
    case_steps.assign(session, case, h.boss_a, h.staff_a.id, "请尽快初审")
    session.commit()
    assert case.assignee_id == h.staff_a.id
    assert session.scalar(select(CaseEvent.actor).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == "assigned")) == "supervisor:case-boss-a"
    day = dt.date(2026, 12, 5)
    mine, total = views.list_cases(session, h.staff_a, views.Filters(mine=True), on=day)
    assert total == 1 and mine[0]["id"] == case.id and mine[0]["assignee"] == "case-staff-a"
    late, total = views.list_cases(session, h.staff_a, views.Filters(overdue=True), on=day)
    assert total == 1 and late[0]["id"] == other.id and late[0]["overdue"]
    both, total = views.list_cases(session, h.staff_a, views.Filters(), on=day)
    assert total == 2 and both[0]["id"] == other.id  # the earliest deadline first
    found, total = views.list_cases(session, h.staff_a,
                                    views.Filters(query=case.code[:6]), on=day)
    assert case.id in [row["id"] for row in found]
    callbacks, total = views.list_cases(session, h.staff_a, views.Filters(kind="callback"),
                                        on=day)
    assert [row["id"] for row in callbacks] == [other.id]
    assert views.counts(session, h.boss_a, day) | {} == {
        "submitted": 2, "accepted": 0, "needs_more": 0, "transferred": 0, "closed": 0,
        "overdue": 1}


def test_transfer_between_halls_and_permissions(session: Session, h: CaseHalls) -> None:
    case = _new(session, h)
    # Staff of hall B see nothing of hall A's case: not in lists, not by id, no steps.
    _refused("not_found", session, lambda: case_queries.load(session, case.id, h.staff_b))
    _refused("not_found", session, lambda: case_queries.load(session, case.id, h.boss_b))
    assert views.list_cases(session, h.boss_b, views.Filters(state=""))[1] == 0
    assert views.counts(session, h.boss_b)["submitted"] == 0
    # Only supervisors move a case to another hall, and only to one that exists.
    _refused("supervisor_only", session, lambda: case_steps.transfer(
        session, case_queries.load(session, case.id, h.staff_a), h.staff_a, hall_code="QX-02"))
    _refused("unknown_hall", session, lambda: case_steps.transfer(
        session, case_queries.load(session, case.id, h.boss_a), h.boss_a, hall_code="NOPE-99"))
    _refused("same_hall", session, lambda: case_steps.transfer(
        session, case_queries.load(session, case.id, h.boss_a), h.boss_a, hall_code="QX-01"))
    _refused("target_required", session, lambda: case_steps.transfer(
        session, case_queries.load(session, case.id, h.boss_a), h.boss_a))
    loaded = case_queries.load(session, case.id, h.boss_a)
    assert loaded.state == "submitted" and loaded.hall_id == h.a.id
    case_steps.assign(session, loaded, h.boss_a, h.staff_a.id)
    case_steps.transfer(session, loaded, h.boss_a, hall_code="QX-02", note="属县中心管辖")
    session.commit()
    assert loaded.hall_id == h.b.id and loaded.assignee_id is None
    assert loaded.origin_hall_id == h.a.id and loaded.transferred_to == h.b.name
    # Now hall A sees nothing and hall B has it and works it.
    _refused("not_found", session, lambda: case_queries.load(session, case.id, h.staff_a))
    _refused("not_found", session, lambda: case_queries.load(session, case.id, h.boss_a))
    assert views.list_cases(session, h.boss_a, views.Filters(state=""))[1] == 0
    rows, total = views.list_cases(session, h.staff_b, views.Filters())
    assert total == 1 and rows[0]["state_name"] == "已转办"
    in_b = case_queries.load(session, case.id, h.staff_b)
    case_steps.accept(session, in_b, h.staff_b, "县中心已受理。")
    session.commit()
    trail = [(e.kind, e.actor, e.detail.get("to_hall")) for e in case_queries.events(session, in_b)]
    assert trail == [("submitted", "system", None),
                     ("assigned", "supervisor:case-boss-a", None),
                     ("transferred", "supervisor:case-boss-a", "QX-02"),
                     ("accepted", "staff:case-staff-b", None)]
    view = views.case_view(session, in_b, h.staff_b)
    assert view["origin_hall"] == h.a.name and view["hall"] == h.b.name
    assert "close" in view["steps"] and "assign" not in view["steps"]


def test_terminal_key_makes_one_case_and_keeps_the_visitors_time(
        session: Session, h: CaseHalls) -> None:
    made_offline = FRIDAY - dt.timedelta(days=2)
    code = "123456789012"
    first, created = case_steps.create(session, h.a, "legal_aid", idempotency_key="k-12345678",
                                       code=code, token="t" * 24, at=made_offline,
                                       received_at=FRIDAY, **APPLICANT)
    session.commit()
    again, created_again = case_steps.create(session, h.a, "legal_aid",
                                             idempotency_key="k-12345678", code=code,
                                             at=made_offline, **APPLICANT)
    assert created and not created_again and again.id == first.id
    assert first.code == code and first.token == "t" * 24
    assert first.created_at.replace(tzinfo=dt.UTC) == made_offline
    assert first.due_on == dt.date(2026, 12, 11)  # 7 working days from Wednesday 12-02
    assert len(session.scalars(select(Case)).all()) == 1


def test_a_complaint_is_a_case_that_follows_its_work_item(session: Session,
                                                          h: CaseHalls) -> None:
    from server.ratings import workflow
    from server.ratings.complaints import submit
    from server.ratings.models import FollowUp

    complaint, _ = submit(session, h.a, category="waiting", phone="13812345678",
                          content="排队两个小时", source="terminal", at=FRIDAY)
    integrity, _ = submit(session, h.a, category="integrity", content="收了好处费",
                          source="online", at=FRIDAY)
    session.commit()
    case = session.scalar(select(Case).where(Case.complaint_id == complaint.id))
    assert case is not None and (case.kind, case.state, case.matter) == (
        "complaint", "submitted", "等候时间")
    assert case.details["content"] == "排队两个小时" and len(case.code) == 12
    # Worked in 差评回访与投诉, not by the case's own steps.
    assert case_steps.allowed_steps(case, h.boss_a) == []
    _refused("handled_elsewhere", session,
             lambda: case_steps.take_step(session, case, h.boss_a, "accept"))
    item = session.scalar(select(FollowUp).where(FollowUp.complaint_id == complaint.id))
    assert item is not None
    workflow.visit(session, item, h.boss_a, "电话回访：内部记录，不给群众看")
    session.commit()
    assert case.state == "accepted"
    workflow.close(session, item, h.boss_a, "已调整取号分流，高峰期增开窗口。")
    session.commit()
    assert case.state == "closed"
    progress = views.progress_view(session, case)
    assert [s["state_name"] for s in progress["steps"]] == ["已提交", "已受理", "已办结"]
    assert progress["steps"][-1]["message"] == "已调整取号分流，高峰期增开窗口。"
    assert "内部记录" not in str(progress)
    # An integrity complaint's case: supervisors only, as its work item.
    secret = session.scalar(select(Case).where(Case.complaint_id == integrity.id))
    assert secret is not None and secret.supervisors_only
    _refused("not_found", session, lambda: case_queries.load(session, secret.id, h.staff_a))
    assert case_queries.load(session, secret.id, h.boss_a).id == secret.id
    staff_rows, _ = views.list_cases(session, h.staff_a, views.Filters(state=""))
    boss_rows, _ = views.list_cases(session, h.boss_a, views.Filters(state=""))
    assert secret.id not in [r["id"] for r in staff_rows]
    assert secret.id in [r["id"] for r in boss_rows]
