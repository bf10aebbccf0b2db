"""Rating rules and the rating API on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.queue_client import new_request_key
from server.app import create_app
from server.queue import actions
from server.queue.issuing import issue_ticket
from server.queue.models import Ticket
from server.ratings.models import Rating
from server.ratings.rules import (
    DEFAULT_REASONS,
    INDICATORS,
    NATIONAL_REASONS,
    RatingError,
    RatingReasons,
    ReasonsError,
    add_working_days,
    rate,
)
from server.settings import ServerSettings
from tests.provisioning.live_server import live_server
from tests.server.queue_http import enrolled_queue_client
from tests.server.queue_setup import QueueHall, make_queue_hall

MONDAY = dt.date(2026, 11, 23)


def test_every_reason_speaks_to_an_offline_indicator() -> None:
    assert all(NATIONAL_REASONS.indicator[reason] in INDICATORS[1:]
               for level in NATIONAL_REASONS.reasons.values() for reason in level)
    assert NATIONAL_REASONS.by_indicator(2, ["等候时间过长", "服务态度差", "多次跑腿"]) == {
        "整体满意度": "不满意", "服务效率": ["等候时间过长", "多次跑腿"],
        "服务态度": ["服务态度差"]}


def test_working_days_skip_weekends_and_holidays_and_count_adjusted_workdays() -> None:
    assert add_working_days(MONDAY, 5) == dt.date(2026, 11, 30)  # over one weekend
    friday = dt.date(2026, 11, 27)
    assert add_working_days(friday, 1) == dt.date(2026, 11, 30)
    new_year = [dt.date(2027, 1, 1)]  # a Friday holiday
    assert add_working_days(dt.date(2026, 12, 31), 1, new_year) == dt.date(2027, 1, 4)
    # 国庆 2026: 1-7 October off, Sunday 27 September and Saturday 10 October are workdays.
    holidays = [dt.date(2026, 10, day) for day in range(1, 8)]
    workdays = [dt.date(2026, 9, 27), dt.date(2026, 10, 10)]
    assert add_working_days(dt.date(2026, 9, 25), 1, holidays, workdays) == dt.date(2026, 9, 27)
    assert add_working_days(dt.date(2026, 9, 30), 2, holidays, workdays) == dt.date(2026, 10, 9)
    assert add_working_days(dt.date(2026, 9, 30), 3, holidays, workdays) == dt.date(2026, 10, 10)


def finished_ticket(session: Session, q: QueueHall) -> Ticket:
    ticket, _ = issue_ticket(session, q.hall, "legal-aid", actor="t")
    actions.call_next(session, q.windows[1].id, q.staff[1])
    actions.act(session, q.windows[1].id, q.staff[1], ticket.id, "finish")
    session.commit()
    return ticket


def refused(code: str, session: Session, **options: object) -> None:
    with pytest.raises(RatingError) as caught:
        rate(session, options.pop("hall"), **options)  # type: ignore[arg-type]
    session.rollback()
    assert caught.value.code == code


def test_one_rating_per_finished_ticket_bound_to_window_and_staff(session: Session) -> None:
    q = make_queue_hall(session)
    waiting, _ = issue_ticket(session, q.hall, "notary", actor="t")
    session.commit()
    refused("not_finished", session, hall=q.hall, level=5, source="pad", ticket=waiting)
    ticket = finished_ticket(session, q)
    refused("bad_reason", session, hall=q.hall, level=5, reasons=["服务态度差"], source="pad",
            ticket=ticket)
    refused("bad_level", session, hall=q.hall, level=6, source="pad", ticket=ticket)
    refused("comment_too_long", session, hall=q.hall, level=4, comment="长" * 501,
            source="pad", ticket=ticket)
    rating, created = rate(session, q.hall, level=2, reasons=["等候时间过长"], source="pad",
                           ticket=ticket, idempotency_key="pad-0001-abc")
    session.commit()
    assert created and (rating.window_id, rating.staff_id) == (q.windows[1].id, q.staff[1].id)
    again, created = rate(session, q.hall, level=2, source="pad", ticket=ticket,
                          idempotency_key="pad-0001-abc")  # a retry of the same request
    assert not created and again.id == rating.id
    refused("already_rated", session, hall=q.hall, level=5, source="phone", ticket=ticket)
    general, _ = rate(session, q.hall, level=4, source="terminal")  # the hall, no ticket
    session.commit()
    assert general.ticket_id is None
    assert session.scalar(select(func.count()).select_from(Rating)) == 2


@pytest.fixture
def url(server_app: FastAPI) -> Iterator[str]:
    with live_server(server_app) as url:
        yield url


def test_rating_api_from_terminal_and_phone(server_app: FastAPI, url: str,
                                            tmp_path: Path) -> None:
    with server_app.state.database.sessions() as session:
        q = make_queue_hall(session)
        first, second = finished_ticket(session, q), finished_ticket(session, q)
        token, third = second.token, finished_ticket(session, q).token
    terminal = enrolled_queue_client(server_app, url, tmp_path / "t")
    levels = requests.get(f"{url}/api/v1/ratings/levels", timeout=10).json()["levels"]
    bad = next(level for level in levels if level["level"] == 2)
    assert bad["indicators"]["服务态度差"] == "服务态度"
    assert set(bad["indicators"]) == set(bad["reasons"])
    english = dict(zip(bad["reasons"], bad["reasons_en"], strict=True))  # what English shows
    assert english["服务态度差"] == "Unfriendly staff" and all(english.values())
    assert [level["name"] for level in levels] == ["非常满意", "满意", "基本满意", "不满意",
                                                   "非常不满意"]
    key = new_request_key()
    body = {"ticket_number": "A001", "level": 5, "reasons": ["服务态度好"],
            "idempotency_key": key}
    reply = terminal.client.json_request("POST", "/api/v1/ratings", json=body)
    assert reply["level_name"] == "非常满意" and reply["ticket"] == first.id
    assert terminal.client.json_request("POST", "/api/v1/ratings", json=body)["id"] == reply["id"]
    phone = requests.post(f"{url}/t/{token}/rating", json={"level": 1, "reasons": ["推诿扯皮"]},
                          timeout=10)
    assert phone.status_code == 201 and phone.json()["ticket"] == second.id
    twice = requests.post(f"{url}/t/{token}/rating", json={"level": 5}, timeout=10)
    assert twice.status_code == 409 and twice.json()["message"].startswith("该号码已经评价过")
    wrong = requests.post(f"{url}/t/{third}/rating", json={"level": 3, "reasons": ["推诿扯皮"]},
                          timeout=10)  # a reason of another level
    assert wrong.status_code == 422 and wrong.json()["error"] == "bad_reason"
    long = requests.post(f"{url}/t/{third}/rating", json={"level": 4, "comment": "长" * 501},
                         timeout=10)
    assert long.status_code == 422 and long.json() == {
        "error": "comment_too_long", "message": "留言不能超过500个字。",
        "message_en": "A comment has at most 500 characters."}
    unknown = requests.post(f"{url}/t/no-such-ticket-0000/rating", json={"level": 5},
                            timeout=10)
    assert unknown.status_code == 404
    with server_app.state.database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Rating)) == 2


def test_a_province_offers_its_own_reasons(tmp_path: Path) -> None:
    own = tmp_path / "reasons.yaml"
    own.write_text("5: [{reason: 一次办好, indicator: 服务效率, reason_en: Done in one visit}]\n"
                   "4: []\n3: []\n"
                   "2: [{reason: 窗口无人, indicator: 服务态度}]\n1: []\n", "utf-8")
    app = create_app(ServerSettings(database_url=f"sqlite:///{tmp_path / 'a.sqlite3'}",
                                    storage_dir=tmp_path / "storage", rating_reasons=own))
    try:
        with TestClient(app) as client:
            levels = {item["level"]: item for item in
                      client.get("/api/v1/ratings/levels").json()["levels"]}
        assert levels[5]["reasons"] == ["一次办好"] and levels[4]["reasons"] == []
        assert levels[5]["reasons_en"] == ["Done in one visit"]
        assert levels[2]["reasons_en"] == [""]  # not translated: the terminal shows Chinese
        assert levels[2]["indicators"] == {"窗口无人": "服务态度"}
        with app.state.database.sessions() as session:
            q = make_queue_hall(session)
            offered = app.state.rating_reasons
            rate(session, q.hall, level=2, reasons=["窗口无人"], source="terminal",
                 offered=offered)
            refused("bad_reason", session, hall=q.hall, level=2, reasons=["服务态度差"],
                    source="terminal", offered=offered)
        broken = tmp_path / "broken.yaml"
        broken.write_text("5: [{reason: 好}]\n", "utf-8")
        with pytest.raises(ReasonsError, match="give the reasons of each level"):
            RatingReasons.load(broken)
        broken.write_text("5: [{reason: 好}]\n4: []\n3: []\n2: []\n1: []\n", "utf-8")
        with pytest.raises(ReasonsError, match="indicators"):
            RatingReasons.load(broken)
    finally:
        app.state.database.engine.dispose()
    assert NATIONAL_REASONS.reasons[2] == DEFAULT_REASONS[2]


def test_two_apps_in_one_process_each_offer_their_own_reasons(tmp_path: Path) -> None:
    apps = []
    for name, reason in (("east", "一次办好"), ("west", "窗口无人")):
        own = tmp_path / f"{name}.yaml"
        own.write_text(f"5: []\n4: []\n3: []\n2: [{{reason: {reason}, indicator: 服务态度}}]\n"
                       "1: []\n", "utf-8")
        apps.append(create_app(ServerSettings(
            database_url=f"sqlite:///{tmp_path / name}.sqlite3",
            storage_dir=tmp_path / f"{name}-storage", rating_reasons=own)))
    apps.append(create_app(ServerSettings(database_url=f"sqlite:///{tmp_path / 'n.sqlite3'}",
                                          storage_dir=tmp_path / "n-storage")))
    try:
        offered = []
        for app in apps:  # every app created before any is asked
            with TestClient(app) as client:
                levels = client.get("/api/v1/ratings/levels").json()["levels"]
            offered.append(next(item["reasons"] for item in levels if item["level"] == 2))
        assert offered == [["一次办好"], ["窗口无人"], list(DEFAULT_REASONS[2])]
        with apps[0].state.database.sessions() as session:  # and each judges by its own
            q = make_queue_hall(session)
            refused("bad_reason", session, hall=q.hall, level=2, reasons=["窗口无人"],
                    source="terminal", offered=apps[0].state.rating_reasons)
    finally:
        for app in apps:
            app.state.database.engine.dispose()
