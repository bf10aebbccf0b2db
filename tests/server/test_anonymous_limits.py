"""Anonymous writes are limited per client address and per hall, counted in the database
so every server process counts together; pending enrolment requests are capped (issue #12,
finding 4). On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from protocol.errors import ServerRefused
from protocol.signing import comment_token
from provisioning.client import TerminalClient
from provisioning.enrol import enrolment_request
from provisioning.identity import TerminalIdentity
from server.app import create_app
from server.models import RateHit, Terminal
from server.ratings.models import Complaint, FollowUp, RatingComment
from server.settings import ServerSettings
from tests.provisioning.live_server import live_server
from tests.server.queue_setup import make_queue_hall
from tests.server.test_followups import finished_ticket
from tests.server.test_rating_comments import terminal_with_key

API = "/api/v1"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def complaint(n: int) -> dict[str, str]:
    return {"category": "waiting", "content": f"第{n}条：排队太久"}


def stored(app: FastAPI, model: type = Complaint) -> int:
    with app.state.database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def halls(server_app: FastAPI) -> None:
    with server_app.state.database.sessions() as session:
        for code in ("QX-01", "QX-02"):
            make_queue_hall(session, code=code)


def test_a_hundred_complaints_from_one_address_store_only_the_limit(
        server_app: FastAPI, client: TestClient, halls: None) -> None:
    limit = server_app.state.settings.anonymous_writes_per_address
    answers = [client.post(f"{API}/complaints/QX-01", json=complaint(n)) for n in range(100)]
    assert [a.status_code for a in answers] == [201] * limit + [429] * (100 - limit)
    refused = answers[-1]
    assert refused.json()["error"] == "rate_limited"
    assert CHINESE.search(refused.json()["message"]) and "Too many" in refused.json()[
        "message_en"]
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    assert stored(server_app) == limit
    assert stored(server_app, FollowUp) == limit  # no 超期 work items past the limit
    # Refused writes are not counted: exactly the admitted ones hold the window.
    assert stored(server_app, RateHit) == 2 * limit  # per address and per hall


def test_the_hall_limit_holds_whatever_the_addresses(settings: ServerSettings,
                                                    tmp_path: Path) -> None:
    settings.anonymous_writes_per_hall = 5
    app = create_app(settings)
    with app.state.database.sessions() as session:
        for code in ("QX-01", "QX-02"):
            make_queue_hall(session, code=code)
    codes = []
    for n in range(8):
        with TestClient(app, client=(f"10.0.0.{n + 1}", 40000)) as visitor:
            codes.append(visitor.post(f"{API}/complaints/QX-01", json=complaint(n)).status_code)
    assert codes == [201] * 5 + [429] * 3
    with TestClient(app, client=("10.0.0.1", 40000)) as visitor:  # another hall is not held
        assert visitor.post(f"{API}/complaints/QX-02", json=complaint(9)).status_code == 201
    assert stored(app) == 6
    app.state.broker.close()
    app.state.database.engine.dispose()


@pytest.fixture
def second_app(settings: ServerSettings) -> Iterator[FastAPI]:
    """Another application on the same database: a second server process's own state."""
    app = create_app(settings)
    yield app
    app.state.broker.close()
    app.state.database.engine.dispose()


def test_two_servers_on_one_database_share_the_count(
        server_app: FastAPI, second_app: FastAPI, halls: None) -> None:
    limit = server_app.state.settings.anonymous_writes_per_address
    with TestClient(server_app) as one, TestClient(second_app) as two:
        for server in (one, two):  # route models are built on first use, not in a race
            assert server.post(f"{API}/complaints/QX-02", json={"category": "?", "content": "x"}
                               ).status_code == 422

        def post(n: int) -> int:
            server = one if n % 2 else two
            return server.post(f"{API}/complaints/QX-02", json=complaint(n)).status_code

        with ThreadPoolExecutor(8) as pool:  # both at once, racing on the same rows
            codes = list(pool.map(post, range(40)))
    assert set(codes) == {201, 429}
    # Racing writes may both be refused, never both admitted past the limit.
    assert 0 < codes.count(201) == stored(server_app) <= limit
    # Later, one at a time: admitted up to the limit exactly (a race may have left room), then
    # refused by either server.
    with TestClient(second_app) as late:
        more = [late.post(f"{API}/complaints/QX-02", json=complaint(100 + n)).status_code
                for n in range(limit - codes.count(201) + 1)]
    assert more == [201] * (limit - codes.count(201)) + [429]
    assert stored(server_app) == limit
    with TestClient(server_app) as first:
        assert first.post(f"{API}/complaints/QX-02", json=complaint(99)).status_code == 429


def test_the_refused_form_comes_back_with_the_message_and_what_was_typed(
        server_app: FastAPI, client: TestClient, halls: None) -> None:
    limit = server_app.state.settings.anonymous_writes_per_address
    for n in range(limit):
        form = {"category": "waiting", "content": f"第{n}次", "key": f"web-form-key-{n:06d}"}
        assert client.post("/complain/QX-01", data=form).status_code == 200
    typed = {"category": "integrity", "phone": "13912345678", "content": "窗口工作人员索要好处费",
             "key": "web-form-key-last00"}
    page = client.post("/complain/QX-01", data=typed)
    assert page.status_code == 429 and page.headers["Retry-After"]
    assert "提交过于频繁" in page.text and "Too many submissions" not in page.text
    english = client.post("/complain/QX-01?lang=en", data=typed)  # in the visitor's language
    assert english.status_code == 429 and "Too many submissions" in english.text
    assert "提交过于频繁" not in english.text
    assert "窗口工作人员索要好处费" in page.text and 'value="13912345678"' in page.text
    assert 'value="integrity" checked' in page.text and "web-form-key-last00" in page.text
    assert stored(server_app) == limit


def test_rating_comments_and_phone_ratings_are_limited_too(
        server_app: FastAPI, client: TestClient) -> None:
    limit = server_app.state.settings.anonymous_writes_per_address
    with server_app.state.database.sessions() as session:
        q = make_queue_hall(session)
        _terminal, key = terminal_with_key(session, q)
        phone_token = finished_ticket(session, q).token
    # A comment may come before its rating: every token is a new write.
    tokens = [comment_token(key)[1] for _ in range(limit + 2)]
    answers = [client.post(f"/c/{token}", data={"comment": f"第{n}条留言"})
               for n, token in enumerate(tokens)]
    assert [a.status_code for a in answers] == [200] * limit + [429] * 2
    assert "提交过于频繁" in answers[-1].text and f"第{limit + 1}条留言" in answers[-1].text
    assert stored(server_app, RatingComment) == limit
    ratings = [client.post(f"/t/{phone_token}/rating", json={"level": 5}).status_code
               for _ in range(limit + 2)]
    assert ratings == [201] + [409] * (limit - 1) + [429] * 2


def _ask_to_enrol(url: str, data_dir: Path) -> tuple[int, str]:
    identity = TerminalIdentity.load_or_create(data_dir)
    with TerminalClient(url, identity) as terminal:
        try:
            terminal.json_request("POST", "/api/v1/enrol", json=enrolment_request(identity))
        except ServerRefused as refused:
            return refused.status, refused.message
    return 200, ""


def _pending(app: FastAPI) -> int:
    with app.state.database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Terminal).where(
            Terminal.status == "pending")) or 0)


def test_twenty_self_signed_enrolment_requests_are_capped(settings: ServerSettings,
                                                        tmp_path: Path) -> None:
    settings.anonymous_writes_per_address = 100  # the pending cap, not the address, stops them
    app = create_app(settings)
    cap = settings.pending_enrolments_allowed
    with live_server(app) as url:
        answers = [_ask_to_enrol(url, tmp_path / f"t{n}") for n in range(20)]
        again = _ask_to_enrol(url, tmp_path / "t0")  # a pending terminal asking again
    assert [status for status, _ in answers] == [200] * cap + [429] * (20 - cap)
    assert "待审核的终端注册申请已达上限" in answers[-1][1] and "IT must" in answers[-1][1]
    assert again == (200, "")
    assert _pending(app) == cap
    app.state.broker.close()
    app.state.database.engine.dispose()


def test_enrolment_requests_from_one_address_are_limited(server_app: FastAPI,
                                                        tmp_path: Path) -> None:
    limit = server_app.state.settings.anonymous_writes_per_address
    with live_server(server_app) as url:
        answers = [_ask_to_enrol(url, tmp_path / f"t{n}") for n in range(limit + 2)]
    assert [status for status, _ in answers] == [200] * limit + [429] * 2
    assert "提交过于频繁" in answers[-1][1]
    assert _pending(server_app) == limit
