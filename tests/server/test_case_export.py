"""Call-back requests exported to a 12348 platform and its results reported back, on
SQLite and PostgreSQL: the case goes out once through the server outbox as signed JSON
(retried after a failure), becomes 已转办, and a signed result closes it with the
platform's message for the visitor; a forged or repeated result changes nothing. A
call-back request typed at the terminal arrives through the terminal outbox once."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.cases import new_case_code, new_case_token
from protocol.enums import OutboxKind
from server.app import create_app
from server.background import free_port
from server.cases import queries as case_queries
from server.cases import steps as case_steps
from server.cases import views
from server.cases.models import Case, CaseExportItem
from server.db import Database
from server.fleet.outbox import receive_outbox
from server.models import Hall, Terminal, utcnow
from server.ratings.export import signature
from server.ratings.export_worker import ExportWorker
from server.settings import ExporterConfig, ServerSettings
from tests.server.case_setup import make_case_halls
from tests.server.test_export import SECRET, Receiver, receiver_factory, verified

__all__ = ["receiver_factory"]  # the fixture, used by name


def _settings(database_url: str, tmp_path: Path, url: str) -> ServerSettings:
    return ServerSettings(database_url=database_url, storage_dir=tmp_path / "storage",
                          exporters=[ExporterConfig(name="p12348", url=url, secret=SECRET,
                                                    origin="qx", cases=True),
                                     ExporterConfig(name="ratings-only", url=url,
                                                    secret=SECRET)])


def _callback(session: Session) -> Case:
    halls = make_case_halls(session)
    case, _ = case_steps.create(session, halls.a, "callback", phone="138 1234 5678",
                                matter="劳动争议", details={"question": "公司拖欠三个月工资怎么办",
                                                        "window": "工作日 14:00-17:00"})
    session.commit()
    return case


def _post_results(client: TestClient, results: list[dict[str, str]], secret: str = SECRET,
                  exporter: str = "p12348") -> tuple[int, dict]:
    body = json.dumps({"format": "hallkiosk.case-results", "exporter": exporter,
                       "results": results}, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    response = client.post("/api/v1/cases/results", content=body, headers={
        "Content-Type": "application/json", "X-Hallkiosk-Timestamp": stamp,
        "X-Hallkiosk-Signature": signature(secret, stamp, body)})
    return response.status_code, response.json()


def test_callback_export_round_trip(database_url: str, tmp_path: Path, session: Session,
                                    receiver_factory: Callable[..., Receiver]) -> None:
    case = _callback(session)
    receiver = receiver_factory(Receiver(port=free_port(), script=["500"]))
    settings = _settings(database_url, tmp_path, receiver.url)
    database = Database(database_url)
    worker = ExportWorker(database, settings)
    try:
        _export(worker, session, case, receiver)
    finally:
        worker.stop()
        database.engine.dispose()
    _report_back(settings, session, case)


def _export(worker: ExportWorker, session: Session, case: Case, receiver: Receiver) -> None:
    t0 = utcnow().replace(microsecond=0)
    worker.run_once(t0)
    failed = worker.case_results["p12348"]
    assert (failed.sent, failed.failed) == (0, 1) and "HTTP 500" in failed.error
    assert "ratings-only" not in worker.case_results  # it does not take cases
    session.expire_all()
    assert session.get(Case, case.id).state == "submitted"  # type: ignore[union-attr]
    worker.run_once(t0 + dt.timedelta(seconds=10))  # not due yet
    assert len([r for r in receiver.requests if b"hallkiosk.cases" in r.body]) == 1
    worker.run_once(t0 + dt.timedelta(seconds=31))
    assert worker.case_results["p12348"].sent == 1
    worker.run_once(t0 + dt.timedelta(seconds=3600))  # never sent twice
    sent = [r for r in receiver.requests if b"hallkiosk.cases" in r.body]
    assert len(sent) == 2 and sent[0].answer == "500" and sent[1].answer == "ok"
    assert verified(sent[1])
    document = sent[1].document
    assert (document["format"], document["exporter"], document["count"]) == (
        "hallkiosk.cases", "p12348", 1)
    record = document["cases"][0]
    assert record["idempotency_id"] == f"qx:case:{case.code}"
    assert (record["phone"], record["question"], record["window"], record["hall_code"]) == (
        "13812345678", "公司拖欠三个月工资怎么办", "工作日 14:00-17:00", "QX-01")
    session.expire_all()
    exported = session.get(Case, case.id)
    assert exported is not None and exported.state == "transferred"
    assert exported.transferred_to == "12348公共法律服务平台"
    assert [(e.kind, e.actor) for e in case_queries.events(session, exported)][-1] == (
        "transferred", "exporter:p12348")
    assert session.scalars(select(CaseExportItem.state)).all() == ["sent"]


def _report_back(settings: ServerSettings, session: Session, case: Case) -> None:
    record = {"idempotency_id": f"qx:case:{case.code}"}
    app: FastAPI = create_app(settings)
    try:
        with TestClient(app) as client:
            forged = _post_results(client, [{"idempotency_id": record["idempotency_id"],
                                             "state": "closed", "message": "伪造"}],
                                   secret="not-the-secret-at-all")
            assert forged[0] == 401
            other = _post_results(client, [{"idempotency_id": record["idempotency_id"],
                                            "state": "closed"}], exporter="ratings-only")
            assert other[0] == 401  # an exporter that was never sent cases
            status, answer = _post_results(client, [
                {"idempotency_id": record["idempotency_id"], "state": "accepted",
                 "message": "12348已受理，律师将回电。"},
                {"idempotency_id": "qx:case:000000000000", "state": "closed"}])
            assert status == 200 and answer["results"] == {
                record["idempotency_id"]: "applied", "qx:case:000000000000": "unknown"}
            status, answer = _post_results(client, [
                {"idempotency_id": record["idempotency_id"], "state": "closed",
                 "message": "已电话答复：可申请劳动仲裁。"}])
            assert answer["results"] == {record["idempotency_id"]: "applied"}
            again = _post_results(client, [{"idempotency_id": record["idempotency_id"],
                                            "state": "closed", "message": "重复"}])
            assert again[1]["results"] == {record["idempotency_id"]: "already"}
    finally:
        app.state.broker.close()
        app.state.database.engine.dispose()
    session.expire_all()
    closed = session.get(Case, case.id)
    assert closed is not None and closed.state == "closed"
    assert closed.details["result"] == "已电话答复：可申请劳动仲裁。"
    progress = views.progress_view(session, closed)
    assert [s["state_name"] for s in progress["steps"]] == [
        "已提交", "已转办", "已受理", "已办结"]
    assert progress["steps"][-1]["message"] == "已电话答复：可申请劳动仲裁。"
    assert "伪造" not in str(progress) and "重复" not in str(progress)


def test_a_callback_from_the_terminal_outbox_is_stored_once_with_its_time(
        session: Session) -> None:
    halls = make_case_halls(session)
    terminal = Terminal(device_id="dev-callback-0001", public_key="k" * 44, profile="query",
                        hall_id=halls.a.id, status="accepted")
    session.add(terminal)
    session.commit()
    typed_at = utcnow() - dt.timedelta(days=3)  # typed while the terminal was offline
    code, token = new_case_code(), new_case_token()
    item = {"key": "5f0c6a0e-1f7b-4c38-9a37-0d9b7c2d1e11", "kind": OutboxKind.CASE,
            "created_at": typed_at.isoformat(),
            "payload": {"kind": "callback", "code": code, "token": token,
                        "phone": "13900001111", "matter": "婚姻家庭",
                        "details": {"window": "明天上午"}, "at": typed_at.isoformat()}}
    assert receive_outbox(session, terminal, [item]) == ([item["key"]], [])
    assert receive_outbox(session, terminal, [item, item]) == ([], [item["key"]])
    stored = session.scalars(select(Case)).all()
    assert len(stored) == 1
    case = stored[0]
    assert (case.code, case.token, case.kind, case.source) == (code, token, "callback",
                                                               "terminal")
    assert abs((case.created_at.replace(tzinfo=dt.UTC) - typed_at).total_seconds()) < 1
    assert case.received_at.replace(tzinfo=dt.UTC) > typed_at + dt.timedelta(days=2)
    # A malformed application keeps its receipt (no resending) and makes no case.
    bad = {"key": "6f0c6a0e-1f7b-4c38-9a37-0d9b7c2d1e12", "kind": OutboxKind.CASE,
           "payload": {"kind": "callback", "code": "12", "token": token}}
    assert receive_outbox(session, terminal, [bad]) == ([bad["key"]], [])
    assert len(session.scalars(select(Case)).all()) == 1
    assert session.scalar(select(Hall.code).where(Hall.id == case.hall_id)) == "QX-01"
