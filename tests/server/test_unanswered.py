"""Questions the terminal had no confident answer to (需求研判), on SQLite and PostgreSQL:
recorded by the terminal masked, delivered through the real outbox and HTTP, stored once
per key, grouped by wording on the dashboard and in its exports, for the supervisor's hall."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from content.answers.engine import Answer, AskResult
from kiosk.usage import UsageRecorder
from protocol.terminal import OutboxBatch
from provisioning.client import TerminalClient
from provisioning.enrol import enrol
from provisioning.identity import TerminalIdentity
from provisioning.outbox import OutboxSender
from server.analytics import export
from server.analytics.models import UnansweredQuestion
from server.analytics.stats import figures
from server.db import Database, upgrade
from server.fleet.outbox import receive_outbox
from server.models import Hall, OutboxReceipt, Terminal
from server.security import create_user
from tests.provisioning.live_server import live_server, make_token
from tests.server.queue_setup import make_queue_hall
from tests.server.test_dashboard import START, TODAY, generated_hall, sign_in
from tests.server.test_scoped_keys_migration import _migrate

ASKED = dt.datetime(2026, 3, 10, 2, 30, tzinfo=dt.UTC)  # 10:30 in the hall, 10 March
DAY = dt.date(2026, 3, 10)


def item(kind: str, at: dt.datetime = ASKED, key: str | None = None,
         **payload: Any) -> dict[str, Any]:
    return {"key": key or str(uuid.uuid4()), "kind": kind, "payload": payload,
            "created_at": at.isoformat()}


def unanswered(question: Any, at: dt.datetime = ASKED, **more: Any) -> dict[str, Any]:
    return item("usage.unanswered", at, question=question, language="zh", score=1.5, **more)


def query_terminal(session: Session, hall_code: str = "QX-01") -> Terminal:
    """A query terminal of the queue test hall, or of a bare hall of another code."""
    if hall_code == "QX-01":
        hall = make_queue_hall(session).hall
    else:
        hall = Hall(code=hall_code, name="另一个公共法律服务中心")
        session.add(hall)
        session.flush()
    terminal = Terminal(device_id=f"query-{hall_code}", public_key="", status="accepted",
                        hall_id=hall.id, profile="query")
    session.add(terminal)
    session.commit()
    return terminal


def test_a_batch_is_stored_once_masked_and_bounded(session: Session) -> None:
    terminal = query_terminal(session)
    # Through the wire model, as the route reads it: NULs dropped as in every outbox text.
    batch = [i.model_dump(mode="json") for i in OutboxBatch.model_validate({"items": [
        unanswered("我的手机13800138000，离婚财产怎么分？"),
        unanswered("离婚财产怎么分", at=ASKED + dt.timedelta(hours=1)),
        unanswered("离\x00婚财产怎么分。", at=ASKED - dt.timedelta(days=1)),
        unanswered("问" * 5000),
        unanswered("  ？ "),  # nothing left: refused, receipt kept
        unanswered(None),
        item("usage.search", query="xyz", results=0),
    ]}).items]
    accepted, duplicates = receive_outbox(session, terminal, batch)
    assert len(accepted) == len(batch) and duplicates == []
    again, duplicates = receive_outbox(session, terminal, batch[:3] + batch[:1])
    assert again == [] and len(duplicates) == 3
    rows = session.scalars(select(UnansweredQuestion)).all()
    assert sorted((r.day, r.question) for r in rows) == [
        ("2026-03-09", "离婚财产怎么分"), ("2026-03-10", "我的手机[手机号],离婚财产怎么分"),
        ("2026-03-10", "离婚财产怎么分"), ("2026-03-10", "问" * 200)]
    assert {(r.hall_id, r.terminal_id, r.language, r.score) for r in rows} == {
        (terminal.hall_id, terminal.id, "zh", 1.5)}
    receipts = session.scalars(select(OutboxReceipt.payload).where(
        OutboxReceipt.kind == "usage.unanswered")).all()
    assert not any("13800138000" in str(p) for p in receipts) and len(receipts) == 6

    hall = session.get(Hall, terminal.hall_id)
    assert hall is not None
    got = figures(session, hall, DAY - dt.timedelta(days=1), DAY, today=DAY)
    assert got.unanswered_total == 4
    assert [(r.question, r.count) for r in got.unanswered] == [
        ("离婚财产怎么分", 2), ("我的手机[手机号],离婚财产怎么分", 1), ("问" * 200, 1)]
    assert got.unanswered[0].last_seen == dt.datetime(2026, 3, 10, 11, 30,
                                                      tzinfo=dt.timezone(dt.timedelta(hours=8)))
    one_day = figures(session, hall, DAY, DAY, today=DAY)
    assert one_day.unanswered_total == 3  # the 9 March one is outside the range
    assert ("离婚财产怎么分", 1) in [(r.question, r.count) for r in one_day.unanswered]


def test_terminal_records_and_delivers_through_the_outbox(server_app: FastAPI,
                                                          tmp_path: Path) -> None:
    recorder = UsageRecorder(tmp_path)
    try:
        below = Answer("faq:1", "faq", "1", "离婚", 2.345, 0.4)
        assert recorder.unanswered(AskResult("身份证110105194912310021丢了怎么补？", [], True,
                                             [below]), "zh")
        assert not recorder.unanswered(AskResult("  ", [], True), "zh")
        assert not recorder.unanswered(AskResult("法律援助", [below], False), "zh")
        recorder.flush()
        pending, = recorder.outbox.pending()
        assert (pending.kind, pending.payload) == ("usage.unanswered", {
            "question": "身份证[身份证号]丢了怎么补", "language": "zh", "score": 2.35})
        with live_server(server_app) as url:
            enrol(url, tmp_path, make_token(server_app))
            client = TerminalClient(url, TerminalIdentity.load_or_create(tmp_path), retries=0)
            assert OutboxSender(recorder.outbox, client).deliver() == 1
        with server_app.state.database.sessions() as session:
            stored = session.scalars(select(UnansweredQuestion)).all()
            assert [(r.question, r.idempotency_key) for r in stored] == [
                ("身份证[身份证号]丢了怎么补", pending.key)]
    finally:
        recorder.close()


def test_the_dashboard_section_and_exports_group_the_wording(client: TestClient) -> None:
    app: Any = client.app
    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with app.state.database.sessions() as session:
        mine, other = query_terminal(session), query_terminal(session, "QX-02")
        create_user(session, "zhao.supervisor", "dashboard-pass", "supervisor", "QX-01")
        session.commit()
        receive_outbox(session, mine, [unanswered("工伤认定要多久？", now),
                                       unanswered("工伤认定要多久", now),
                                       unanswered("=HYPERLINK(\"x\")", now)])
        receive_outbox(session, other, [unanswered("另一个大厅的提问", now)])
        total = session.scalar(select(func.count()).select_from(UnansweredQuestion))
        assert total == 4
    sign_in(client, "zhao.supervisor", "dashboard-pass")
    page = client.get("/dashboard").text
    assert "没有把握回答的提问" in page and 'id="unanswered-total">3<' in page
    assert "<th scope=\"row\">工伤认定要多久</th><td>2</td>" in page
    assert "另一个大厅的提问" not in page  # another hall's questions stay there
    old = client.get("/dashboard?start=2026-01-01&end=2026-01-31").text
    assert "期间没有未能回答的提问" in old and "工伤认定要多久" not in old
    query = f"start={today}&end={today}"
    rows = list(csv.reader(io.StringIO(
        client.get(f"/dashboard/export.csv?{query}").content.decode("utf-8-sig"))))
    at = rows.index(["【未能回答的提问】"])
    assert rows[at + 1] == ["提问（已隐去号码）", "次数", "最近一次"]
    assert rows[at + 2][:2] == ["工伤认定要多久", "2"]
    assert rows[at + 3][:2] == ["'=hyperlink(\"x\")", "1"]  # neutralised, not a formula
    assert ["未能回答的提问", "3"] in rows
    book = load_workbook(io.BytesIO(client.get(f"/dashboard/export.xlsx?{query}").content))
    sheet = book[export.sections(figures_of(app, today))[-1].title]
    assert [c.value for c in sheet[5]][:2] == ["工伤认定要多久", 2]


def figures_of(app: Any, today: dt.date) -> Any:
    with app.state.database.sessions() as session:
        terminal = session.scalar(select(Terminal).where(Terminal.device_id == "query-QX-01"))
        assert terminal is not None
        hall = session.get(Hall, terminal.hall_id)
        assert hall is not None
        return figures(session, hall, today, today, today=today)


def test_generated_activity_asks_what_the_dashboard_groups(session: Session) -> None:
    hall = generated_hall(session)
    raw = Counter(question for question, day in session.execute(
        select(UnansweredQuestion.question, UnansweredQuestion.day).where(
            UnansweredQuestion.hall_id == hall.id))
        if START.isoformat() <= day <= TODAY.isoformat())
    receipts = session.scalar(select(func.count()).select_from(OutboxReceipt).where(
        OutboxReceipt.kind == "usage.unanswered"))
    got = figures(session, hall, START, TODAY, today=TODAY)
    assert got.unanswered_total == sum(raw.values()) == receipts > 0
    assert {(r.question, r.count) for r in got.unanswered} == set(raw.items())
    counts = [r.count for r in got.unanswered]
    assert counts == sorted(counts, reverse=True) and counts[0] > 1


def test_the_migration_adds_and_drops_the_table(database_url: str) -> None:
    database = Database(database_url)
    upgrade(database.engine)
    assert "unanswered_question" in inspect(database.engine).get_table_names()
    _migrate(database.engine, "0011", down=True)
    assert "unanswered_question" not in inspect(database.engine).get_table_names()
    upgrade(database.engine)
    with database.sessions() as session:
        terminal = query_terminal(session)
        receive_outbox(session, terminal, [unanswered("离婚要多久")])
        assert session.scalar(select(UnansweredQuestion.question)) == "离婚要多久"
    database.engine.dispose()
