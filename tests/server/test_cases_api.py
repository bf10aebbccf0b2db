"""Cases over real HTTP on SQLite and PostgreSQL: a signed terminal looks up progress
(code, or phone and code), guessing is limited and then every code is refused alike (no
existence oracle); the console lists and works the hall's cases and never another
hall's; the visitor's phone page is masked and a wrong address gets a friendly 404."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from kiosk.queue_client import QueueClient
from protocol.cases import CaseProgress
from protocol.errors import ServerRefused
from server.cases import queries as case_queries
from server.cases import rules as case_rules
from server.cases import steps as case_steps
from server.cases.models import Case
from server.models import Hall
from server.settings import ServerSettings
from tests.provisioning.live_server import live_server
from tests.server.case_setup import APPLICANT, PASSWORD, make_case_halls
from tests.server.queue_http import enrolled_queue_client

GUESSES = 3
API = "/api/v1"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> ServerSettings:
    return ServerSettings(database_url=database_url, storage_dir=tmp_path / "storage",
                          anonymous_writes_per_address=GUESSES)


@pytest.fixture
def url(server_app: FastAPI) -> Iterator[str]:
    with server_app.state.database.sessions() as session:
        make_case_halls(session)
    with live_server(server_app) as url:
        yield url


@pytest.fixture
def terminal(server_app: FastAPI, url: str, tmp_path: Path) -> QueueClient:
    return enrolled_queue_client(server_app, url, tmp_path / "terminal", "QX-01")


def _case(app: FastAPI, hall: str = "QX-01", phone: str = "13812345678") -> tuple[int, str, str]:
    with app.state.database.sessions() as session:
        found = session.scalar(select(Hall).where(Hall.code == hall))
        assert found is not None
        case, _ = case_steps.create(session, found, "legal_aid", **(APPLICANT | {"phone": phone}))
        session.commit()
        return case.id, case.code, case.token


def _refusal(run: object) -> tuple[int, str]:
    with pytest.raises(ServerRefused) as refused:
        run()  # type: ignore[operator]
    return refused.value.status, refused.value.message


def _progress(terminal: QueueClient, code: str, phone: str = "") -> CaseProgress:
    return terminal.client.typed_request("POST", f"{API}/cases/progress", CaseProgress,
                                         json={"code": code, "phone": phone})


def signed_in(app: FastAPI, username: str) -> TestClient:
    """A client of its own signed in as username (CSRF token kept aside for forms)."""
    client = TestClient(app)
    response = client.post(f"{API}/session", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.cookies.set("csrf", response.json()["csrf_token"])  # only to carry it
    return client


def test_progress_lookup_is_masked_limited_and_no_oracle(server_app: FastAPI,
                                                         terminal: QueueClient) -> None:
    case_id, code, _token = _case(server_app)
    shown = case_rules.shown_code(code)
    progress = _progress(terminal, shown)
    assert (progress.code, progress.state_name, progress.kind_name) == (
        shown, "已提交", "法律援助申请")
    assert (progress.name, progress.phone) == ("张*", "138****5678")
    assert [step.state for step in progress.steps] == ["submitted"]
    assert progress.path.startswith("/case/")
    assert _progress(terminal, code, "+86 138 1234 5678").code == shown
    # A code that does not exist and the right code with another phone: the same refusal.
    missing = "000000000000" if code != "000000000000" else "111111111111"
    unknown = _refusal(lambda: _progress(terminal, missing))
    other_phone = _refusal(lambda: _progress(terminal, code, "13900001111"))
    assert unknown == other_phone and unknown[0] == 404
    # The third failure reaches the limit: now a real code is refused alike (429).
    assert _refusal(lambda: _progress(terminal, "12-34"))[0] == 404
    limited = _refusal(lambda: _progress(terminal, code))
    assert limited[0] == 429
    assert _refusal(lambda: _progress(terminal, missing)) == limited


def test_console_lists_works_and_transfers_cases_only_in_its_hall(
        server_app: FastAPI, url: str) -> None:
    case_id, code, token = _case(server_app)
    _case(server_app, "QX-02", "13700001111")
    boss_a, staff_a = signed_in(server_app, "case-boss-a"), signed_in(server_app,
                                                                        "case-staff-a")
    boss_b, staff_b = signed_in(server_app, "case-boss-b"), signed_in(server_app,
                                                                        "case-staff-b")
    shown = case_rules.shown_code(code)
    listing = staff_a.get("/cases")
    assert listing.status_code == 200 and shown in listing.text
    assert listing.text.count("<tr data-id=") == 1
    assert shown not in staff_b.get("/cases").text  # another hall sees nothing
    assert staff_b.get(f"/cases/{case_id}").status_code == 404
    assert staff_b.get(f"{API}/cases/{case_id}").status_code == 404
    csrf_b = staff_b.cookies.get("csrf")
    assert staff_b.post(f"/cases/{case_id}/accept",
                        data={"csrf_token": csrf_b}).status_code == 404

    page = staff_a.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "受理" in page.text and "张三" in page.text
    csrf_a = staff_a.cookies.get("csrf")
    assert staff_a.post(f"/cases/{case_id}/accept", data={}).status_code == 403  # no token
    refused = staff_a.post(f"/cases/{case_id}/close", data={
        "message": "先办结", "csrf_token": csrf_a})
    assert refused.status_code == 409 and "当前的状态不能执行此操作" in refused.text
    done = staff_a.post(f"/cases/{case_id}/accept", data={
        "message": "已受理，请等待律师联系。", "note": "内部：优先", "csrf_token": csrf_a},
        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{case_id}?done=accept"
    detail = staff_a.get(done.headers["location"]).text
    assert "已受理。" in detail and "staff:case-staff-a" in detail and "内部：优先" in detail

    # The phone page from the QR: masked, the visitor's messages, never the staff notes.
    phone_page = TestClient(server_app).get(f"/case/{token}")
    assert phone_page.status_code == 200
    text = phone_page.text
    assert shown in text and "张*" in text and "138****5678" in text
    assert "已受理，请等待律师联系。" in text and "张三" not in text
    assert "13812345678" not in text and "内部：优先" not in text
    assert "case-staff-a" not in text
    missing = TestClient(server_app).get("/case/no-such-token-000000000")
    assert missing.status_code == 404 and "没有找到这个案件" in missing.text
    assert "Traceback" not in missing.text

    # Transfer: staff may not move it to another hall, an unknown hall is refused, the
    # supervisor moves it; then hall A sees nothing and hall B works it.
    assert staff_a.post(f"/cases/{case_id}/transfer", data={
        "hall": "QX-02", "csrf_token": csrf_a}).status_code == 403
    csrf_boss = boss_a.cookies.get("csrf")
    unknown = boss_a.post(f"/cases/{case_id}/transfer", data={
        "hall": "XX-99", "message": "转县中心", "csrf_token": csrf_boss})
    assert unknown.status_code == 422 and "没有这个大厅" in unknown.text
    moved = boss_a.post(f"/cases/{case_id}/transfer", data={
        "hall": "QX-02", "csrf_token": csrf_boss}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/cases?done=transfer"
    assert staff_a.get(f"/cases/{case_id}").status_code == 404
    assert shown not in boss_a.get("/cases?state=").text
    in_b = staff_b.get("/cases")
    assert shown in in_b.text and in_b.text.count("<tr data-id=") == 2
    api = staff_b.post(f"{API}/cases/{case_id}/close",
                       json={"message": "县中心已办结。"},
                       headers={"X-CSRF-Token": staff_b.cookies.get("csrf") or ""})
    assert api.status_code == 200 and api.json()["state"] == "closed"
    assert "县中心已办结。" in TestClient(server_app).get(f"/case/{token}").text
    with server_app.state.database.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        kinds = [(e.kind, e.actor) for e in case_queries.events(session, case)]
    assert kinds == [("submitted", "system"), ("accepted", "staff:case-staff-a"),
                     ("transferred", "supervisor:case-boss-a"),
                     ("closed", "staff:case-staff-b")]
    assert boss_b is not None


def test_an_online_complaint_shows_its_case_code_and_progress(server_app: FastAPI,
                                                              url: str) -> None:
    visitor = TestClient(server_app)
    sent = visitor.post("/complain/QX-01", data={
        "category": "waiting", "phone": "13812345678", "content": "排队太久",
        "key": "web-abcdefghijklmnop1234"})
    assert sent.status_code == 200 and "已收到您的投诉" in sent.text
    with server_app.state.database.sessions() as session:
        case = session.scalars(select(Case).where(Case.kind == "complaint")).one()
        shown, token, case_id = case_rules.shown_code(case.code), case.token, case.id
    assert shown in sent.text and f'href="/case/{token}"' in sent.text
    again = visitor.post("/complain/QX-01", data={  # the same key again: no code shown
        "category": "waiting", "phone": "13812345678", "content": "排队太久",
        "key": "web-abcdefghijklmnop1234"})
    assert again.status_code == 200 and shown not in again.text
    progress = visitor.get(f"/case/{token}")
    assert progress.status_code == 200 and "投诉建议" in progress.text
    assert "138****5678" in progress.text
    boss = signed_in(server_app, "case-boss-a")
    page = boss.get(f"/cases/{case_id}")
    assert page.status_code == 200 and 'id="case-followup"' in page.text
    assert 'id="open-accept"' not in page.text  # worked in 差评回访与投诉
    assert boss.post(f"{API}/cases/{case_id}/accept", json={},
                     headers={"X-CSRF-Token": boss.cookies.get("csrf") or ""}
                     ).status_code == 409
