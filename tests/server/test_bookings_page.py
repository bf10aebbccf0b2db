"""预约名单 on SQLite and PostgreSQL: a hall's staff and supervisors see one day's bookings
per service and slot, masked, with each state (checked in with its ticket number,
cancelled, no-show once the check-in window closed) counted; another hall's staff see none
of them, an IT account is refused."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.appointments import service as appointments
from server.appointments import sheet
from server.security import create_user
from tests.server.appointment_setup import MONDAY, MONDAY_0900, set_up_bookable
from tests.server.queue_setup import PASSWORD, make_queue_hall

SUNDAY = MONDAY_0900 - dt.timedelta(days=1)
MONDAY_NOON = MONDAY_0900 + dt.timedelta(hours=3)  # 12:00 in the hall


def _seed(app: FastAPI) -> dict[str, str]:
    """Bookings on Monday in QX-01 (notary and lawyer) and one in QX-02; codes by person."""
    codes = {}
    with app.state.database.sessions() as session:
        halls = [make_queue_hall(session, code=code) for code in ("QX-01", "QX-02")]
        for hall in halls:
            set_up_bookable(session, hall.hall)
        create_user(session, "boss-a", PASSWORD, "supervisor", "QX-01")
        create_user(session, "it-a", PASSWORD, "it_admin")
        a, b = halls[0].hall, halls[1].hall
        people = [  # key, hall, service, start, name, phone
            ("came", a, "notary", "09:00", "张三丰", "13812345678"),
            ("gone", a, "notary", "09:00", "李四", "13900001111"),
            ("dropped", a, "notary", "10:00", "王五", "13700002222"),
            ("later", a, "notary", "14:00", "赵六", "13600003333"),
            ("lawyer", a, "lawyer", "10:00", "钱七", "13500004444"),
            ("other", b, "notary", "09:00", "孙八", "13400005555"),
        ]
        bookings = {}
        for key, hall, service, start, name, phone in people:
            bookings[key] = appointments.book(
                session, hall, service, MONDAY, start, name=name, phone=phone,
                matter=f"事项-{key}", now=SUNDAY)
            codes[key] = appointments.shown_code(bookings[key].code)
        session.commit()
        appointments.cancel(session, bookings["dropped"], now=SUNDAY)
        ticket, _ = appointments.check_in(session, a, bookings["came"].code, actor="t",
                                          now=MONDAY_0900)
        codes["ticket"] = ticket.number
        session.commit()
    return codes


def _signed_in(app: FastAPI, username: str) -> TestClient:
    client = TestClient(app)
    response = client.post("/api/v1/session", json={"username": username,
                                                    "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


def _rows(html: str, service: str) -> list[tuple[str, str, str]]:
    """(slot, code, state) of each booking row in one service's section."""
    section = html.split(f'id="service-{service}"')[1].split("</section>")[0]
    rows = []
    for slot, body in re.findall(r'data-slot="([^"]+)">(.*?)</tbody>', section, re.S):
        for code, state in re.findall(
                r'class="code">([^<]+)</td>.*?<span class="pill state-(\w+)">', body, re.S):
            rows.append((slot, code, state))
    return rows


def _counts(html: str, service: str) -> dict[str, int]:
    section = html.split(f'id="service-{service}"')[1].split("</section>")[0]
    return {state: int(count) for state, count in re.findall(
        r'data-state="(\w+)">[^<]*<b>(\d+)</b>', section)}


def test_the_days_bookings_per_service_with_states_counts_and_masking(
        server_app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    codes = _seed(server_app)
    monkeypatch.setattr(sheet, "utcnow", lambda: MONDAY_NOON)
    staff = _signed_in(server_app, "staff1-QX-01")
    page = staff.get("/bookings")  # today in China time is Monday
    assert page.status_code == 200, page.text
    html = page.text
    assert 'href="/bookings" aria-current="page"' in html  # the nav link
    assert _rows(html, "notary") == [
        ("09:00", codes["came"], "checked_in"), ("09:00", codes["gone"], "no_show"),
        ("10:00", codes["dropped"], "cancelled"), ("14:00", codes["later"], "booked")]
    assert _rows(html, "lawyer") == [("10:00", codes["lawyer"], "no_show")]
    assert _rows(html, "adviser-qingxi") == []  # no bookings, still listed
    assert "这一天没有预约" in html.split('id="service-adviser-qingxi"')[1]
    assert _counts(html, "notary") == {"booked": 1, "checked_in": 1, "cancelled": 1,
                                       "no_show": 1}
    assert _counts(html, "lawyer") == {"booked": 0, "checked_in": 0, "cancelled": 0,
                                       "no_show": 1}
    assert re.search(r'id="total-no_show">2<', html)
    assert re.search(r'id="total-checked_in">1<', html)
    assert f'<span class="ticket">{codes["ticket"]} 号</span>' in html
    assert re.fullmatch(r"\d{5}-\d{5}", codes["came"])  # shown grouped
    assert "张*" in html and "138****5678" in html and "事项-came" in html
    for secret in ("张三丰", "13812345678", "李四", "13900001111"):
        assert secret not in html
    assert codes["other"] not in html and "孙" not in html  # another hall's booking

    # An hour earlier the 10:00 slots were still open: booked, not yet no-shows.
    monkeypatch.setattr(sheet, "utcnow", lambda: MONDAY_NOON - dt.timedelta(hours=1, minutes=5))
    assert _rows(staff.get("/bookings").text, "lawyer") == [("10:00", codes["lawyer"], "booked")]
    monkeypatch.setattr(sheet, "utcnow", lambda: MONDAY_NOON)

    # Another day: nothing; a bad date falls back to today.
    assert _rows(staff.get("/bookings?day=2026-12-08").text, "notary") == []
    assert len(_rows(staff.get("/bookings?day=nonsense").text, "notary")) == 4

    # The supervisor of the hall sees the same; the other hall sees only its own.
    boss = _signed_in(server_app, "boss-a").get(f"/bookings?day={MONDAY}").text
    assert _counts(boss, "notary") == _counts(html, "notary")
    other = _signed_in(server_app, "staff1-QX-02")
    own = other.get("/bookings").text
    assert _rows(own, "notary") == [("09:00", codes["other"], "no_show")]
    assert codes["came"] not in own and "张*" not in own
    assert other.get("/bookings?hall=QX-01").status_code == 404
    assert staff.get("/bookings?hall=QX-01").status_code == 200
    assert _signed_in(server_app, "it-a").get("/bookings").status_code == 403
    assert TestClient(server_app).get("/bookings", follow_redirects=False).status_code in (
        303, 302, 401)
