"""Rating export on SQLite and PostgreSQL, against a real receiver on loopback.

The receiver fails (connection refused, HTTP 500, no answer in time) and then accepts;
time is passed into the worker (``now``), so backoff is checked without sleeping.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hallkiosk_cli import main
from server.app import create_app
from server.background import free_port
from server.db import Database
from server.models import Hall, User, Window, utcnow
from server.queue import actions
from server.queue.issuing import issue_ticket
from server.queue.models import Ticket
from server.ratings.export import ExporterSetupError, signature
from server.ratings.export_worker import ExportWorker, claim, enqueue, retry_delay
from server.ratings.models import ExportItem, Rating
from server.ratings.rules import rate
from server.settings import ExporterConfig, ServerSettings, SettingsError
from tests.server.queue_setup import QueueHall, make_queue_hall

DOC = Path(__file__).resolve().parents[2] / "docs" / "export-format.md"
SECRET = "province-shared-secret-0042"
SLOW_SECONDS = 1.5
TIMEOUT = 0.5


# -- a provincial receiver on loopback -------------------------------------------------------

@dataclass
class Received:
    """One request as the receiver saw it and what it answered."""

    answer: str
    headers: dict[str, str]
    body: bytes

    @property
    def document(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Receiver:
    """Answers each request by the next step of its script ("500", "slow"), then 200."""

    port: int = 0
    script: list[str] = field(default_factory=list)
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Received]:
        return [request for request in self.requests if request.answer == "ok"]

    def accepted_ids(self) -> Counter[str]:
        return Counter(rating["idempotency_id"] for request in self.accepted()
                       for rating in request.document["ratings"])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hkp/ratings"

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        with self.lock:
            answer = self.script.pop(0) if self.script else "ok"
            self.requests.append(Received(answer, dict(handler.headers.items()), body))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(SLOW_SECONDS if answer == "slow" else self.delay)
            status = {"500": 500, "slow": 503}.get(answer, 200)
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.end_headers()
            handler.wfile.write(b'{"accepted": true}' if status == 200 else b'{"error": "x"}')
        except OSError:  # the exporter gave up waiting and closed the connection
            pass
        finally:
            with self.lock:
                self.in_flight -= 1


@pytest.fixture
def receiver_factory() -> Iterator[Callable[..., Receiver]]:
    """Starts receivers on loopback; stops them after the test."""
    servers: list[ThreadingHTTPServer] = []

    def start(receiver: Receiver) -> Receiver:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                receiver.handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        server = ThreadingHTTPServer(("127.0.0.1", receiver.port), Handler)
        receiver.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        servers.append(server)
        return receiver

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def verified(request: Received) -> bool:
    """Whether the request carries the documented signature, checked independently."""
    timestamp = request.headers["X-Hallkiosk-Timestamp"]
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + request.body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers["X-Hallkiosk-Signature"], f"sha256={expected}")


# -- ratings to export -----------------------------------------------------------------------

def finished(session: Session, q: QueueHall, window: int = 1) -> Ticket:
    ticket, _ = issue_ticket(session, q.hall, "legal-aid", actor="test")
    actions.call_next(session, q.windows[window].id, q.staff[window])
    actions.act(session, q.windows[window].id, q.staff[window], ticket.id, "finish")
    return ticket


def rated_hall(session: Session) -> QueueHall:
    """A hall with a bad and a good rating of tickets at two windows, and a hall rating."""
    q = make_queue_hall(session)
    rate(session, q.hall, level=2, reasons=["等候时间过长", "多次跑腿"], comment="排队太久了",
         source="pad", ticket=finished(session, q, 1))
    rate(session, q.hall, level=5, reasons=["服务态度好"], source="phone",
         ticket=finished(session, q, 2))
    rate(session, q.hall, level=4, source="terminal")
    session.commit()
    return q


# The reasons of the seed rules, by the indicator each speaks to (written out here, not
# read from the rules, so a wrong mapping there fails the test).
INDICATOR_REASONS = {
    "服务效率": ("办事效率高", "等候时间较长", "等候时间过长", "多次跑腿"),
    "服务水平": ("业务水平高", "业务不熟练", "指引清楚", "材料要求不够清楚", "材料要求不清楚"),
    "服务态度": ("服务态度好", "服务态度一般", "服务态度差", "推诿扯皮"),
}


def expected_record(session: Session, rating: Rating, origin: str) -> dict[str, Any]:
    """A rating as the document must carry it, read field by field from the database."""
    ticket = session.get(Ticket, rating.ticket_id) if rating.ticket_id else None
    window = session.get(Window, rating.window_id) if rating.window_id else None
    staff = session.get(User, rating.staff_id) if rating.staff_id else None
    hall = session.get(Hall, rating.hall_id)
    assert hall is not None
    def utc(moment: dt.datetime) -> str:
        aware = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None \
            else moment.astimezone(dt.UTC)
        return aware.strftime("%Y-%m-%dT%H:%M:%SZ")

    names = {5: "非常满意", 4: "满意", 2: "不满意"}
    return {
        "idempotency_id": f"{origin}:rating:{rating.id}", "id": rating.id,
        "hall_code": hall.code, "hall_name": hall.name, "level": rating.level,
        "level_name": names[rating.level], "reasons": rating.reasons, "comment": rating.comment,
        "indicators": {"整体满意度": names[rating.level], **{
            indicator: [r for r in rating.reasons if r in reasons]
            for indicator, reasons in INDICATOR_REASONS.items()
            if any(r in reasons for r in rating.reasons)}},
        "source": rating.source, "ticket_number": ticket.number if ticket else None,
        "ticket_day": ticket.day if ticket else None,
        "service_code": ticket.service.code if ticket else None,
        "service_name": ticket.service.name if ticket else None,
        "window_number": window.number if window else None,
        "staff_id": staff.id if staff else None,
        "staff_username": staff.username if staff else None,
        "created_at": utc(rating.created_at), "received_at": utc(rating.received_at),
    }


def documented_example() -> dict[str, Any]:
    text = DOC.read_text("utf-8")
    found = re.search(r"```json export-example\n(.*?)\n```", text, re.S)
    assert found, "docs/export-format.md lost its example document"
    return dict(json.loads(found.group(1)))


def exporter_settings(database_url: str, tmp_path: Path, **exporter: Any) -> ServerSettings:
    config = {"name": "province", "url": "http://127.0.0.1:9/none", "secret": SECRET,
              "origin": "qingxi", "timeout": TIMEOUT} | exporter
    return ServerSettings(database_url=database_url, storage_dir=tmp_path / "storage",
                          exporters=[ExporterConfig(**config)])


def items(session: Session) -> list[ExportItem]:
    session.expire_all()
    return list(session.scalars(select(ExportItem).order_by(ExportItem.rating_id)))


def at(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value and value.tzinfo is None else value


# -- the tests -------------------------------------------------------------------------------

def test_retry_waits_double_and_are_capped() -> None:
    assert [retry_delay(n, 3600).total_seconds() for n in range(1, 9)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600]
    assert retry_delay(10_000, 600) == dt.timedelta(seconds=600)


def test_failures_are_retried_with_backoff_and_delivered_once(
        database_url: str, tmp_path: Path, session: Session,
        receiver_factory: Callable[..., Receiver]) -> None:
    q = rated_hall(session)
    port = free_port()  # nothing listens there yet: the connection is refused
    receiver = Receiver(port=port, script=["500", "slow"])
    settings = exporter_settings(database_url, tmp_path, url=receiver.url)
    database = Database(database_url)
    worker = ExportWorker(database, settings)
    t0 = utcnow().replace(microsecond=0)
    second = dt.timedelta(seconds=1)

    failed = worker.run_once(t0)["province"]
    assert (failed.sent, failed.failed) == (0, 3) and "ConnectionError" in failed.error
    rows = items(session)
    assert [(r.state, r.attempts, at(r.next_attempt_at)) for r in rows] == [
        ("pending", 1, t0 + 30 * second)] * 3
    assert "ConnectionError" in rows[0].last_error

    receiver_factory(receiver)
    assert worker.run_once(t0 + 29 * second)["province"].failed == 0  # not due yet
    assert receiver.requests == []
    assert "HTTP 500" in worker.run_once(t0 + 30 * second)["province"].error
    assert {at(r.next_attempt_at) for r in items(session)} == {t0 + 90 * second}
    assert worker.run_once(t0 + 89 * second)["province"].failed == 0
    assert len(receiver.requests) == 1
    assert "Timeout" in worker.run_once(t0 + 90 * second)["province"].error  # no answer in time
    assert {at(r.next_attempt_at) for r in items(session)} == {t0 + 210 * second}

    delivered = worker.run_once(t0 + 210 * second)["province"]
    assert (delivered.sent, delivered.failed) == (3, 0)
    assert [(r.state, r.attempts, at(r.sent_at)) for r in items(session)] == [
        ("sent", 4, t0 + 210 * second)] * 3
    for later in (211, 100_000):  # delivered once: nothing is sent again
        assert worker.run_once(t0 + later * second)["province"].sent == 0
    assert [r.answer for r in receiver.requests] == ["500", "slow", "ok"]
    assert all(verified(request) for request in receiver.requests)
    tampered = Received("ok", receiver.requests[-1].headers, receiver.requests[-1].body + b" ")
    assert not verified(tampered)

    document = receiver.accepted()[0].document
    example = documented_example()
    assert set(document) == set(example)
    assert {key: document[key] for key in ("format", "version", "exporter", "count")} == {
        "format": "hallkiosk.ratings", "version": 1, "exporter": "province", "count": 3}
    assert document["batch_id"] == receiver.accepted()[0].headers["X-Hallkiosk-Batch"]
    assert document["generated_at"] == (t0 + 210 * second).strftime("%Y-%m-%dT%H:%M:%SZ")
    ratings = list(session.scalars(select(Rating).order_by(Rating.id)))
    assert document["ratings"] == [expected_record(session, r, "qingxi") for r in ratings]
    assert all(set(record) == set(example["ratings"][0]) for record in document["ratings"])
    bad = document["ratings"][0]
    assert (bad["level_name"], bad["window_number"], bad["staff_username"]) == (
        "不满意", 1, q.staff[1].username)
    assert "排队太久了".encode() in receiver.accepted()[0].body  # UTF-8, not escaped
    database.engine.dispose()


class CollectingExporter:
    """A plug-in exporter loaded by its dotted path: keeps batches, fails when told to."""

    batches: list[dict[str, Any]] = []
    failures_left = 0
    before_send: Callable[[], None] | None = None

    def __init__(self, config: ExporterConfig):
        self.name, self.label = "ignored", config.options.get("label", "")

    def send(self, batch: dict[str, Any]) -> None:
        hook, CollectingExporter.before_send = CollectingExporter.before_send, None
        if hook:
            hook()
        if CollectingExporter.failures_left:
            CollectingExporter.failures_left -= 1
            raise RuntimeError(f"{self.label} is down")
        CollectingExporter.batches.append(batch)


PLUGIN = f"{__name__}:CollectingExporter"


def test_plugin_exporter_and_a_rating_stored_after_the_scan(
        database_url: str, tmp_path: Path, session: Session) -> None:
    rated_hall(session)
    CollectingExporter.batches, CollectingExporter.failures_left = [], 1
    settings = exporter_settings(database_url, tmp_path, name="plug-in", kind=PLUGIN,
                                 url="", secret="", batch_size=2, options={"label": "省平台"})
    database = Database(database_url)
    worker = ExportWorker(database, settings)
    assert worker.exporters[0][1].name == "plug-in"  # named by the settings, not the class
    t0 = utcnow()

    failed = worker.run_once(t0)["plug-in"]
    assert failed.error == "RuntimeError: 省平台 is down" and failed.failed == 2
    assert items(session)[0].last_error == "RuntimeError: 省平台 is down"

    other_process = Database(database_url)  # its own connections, as another server would

    def store_a_rating() -> None:
        with other_process.sessions() as other:
            hall = other.scalar(select(Hall))
            assert hall is not None
            rate(other, hall, level=1, reasons=["推诿扯皮"], source="terminal")
            other.commit()

    # The new rating is stored while a batch is on its way, after this pass queued.
    CollectingExporter.before_send = store_a_rating
    result = worker.run_once(t0 + dt.timedelta(minutes=1))["plug-in"]
    assert (result.sent, result.failed) == (3, 0)
    sent = [r["id"] for batch in CollectingExporter.batches for r in batch["ratings"]]
    assert len(sent) == 3 and [len(b["ratings"]) for b in CollectingExporter.batches] == [2, 1]
    newest = session.scalar(select(Rating).where(Rating.level == 1))
    assert newest is not None and newest.id not in sent

    result = worker.run_once(t0 + dt.timedelta(minutes=2))["plug-in"]  # the next pass
    assert result.sent == 1
    assert CollectingExporter.batches[-1]["ratings"][0]["id"] == newest.id
    assert CollectingExporter.batches[-1]["ratings"][0]["reasons"] == ["推诿扯皮"]
    assert worker.run_once(t0 + dt.timedelta(days=1))["plug-in"].sent == 0
    assert sorted(r.state for r in items(session)) == ["sent"] * 4
    other_process.engine.dispose()
    database.engine.dispose()


def test_two_workers_at_once_send_nothing_twice(
        database_url: str, tmp_path: Path, session: Session,
        receiver_factory: Callable[..., Receiver]) -> None:
    q = make_queue_hall(session)
    for number in range(12):
        rate(session, q.hall, level=5 - number % 5, source="terminal")
    session.commit()
    receiver = receiver_factory(Receiver(delay=0.1))
    settings = exporter_settings(database_url, tmp_path, url=receiver.url, batch_size=1,
                                 timeout=5)
    databases = [Database(database_url), Database(database_url)]  # as two server processes
    workers = [ExportWorker(database, settings) for database in databases]
    now = utcnow()
    start = threading.Barrier(2)
    sent: list[int] = []

    def run(worker: ExportWorker) -> None:
        start.wait()
        sent.append(worker.run_once(now)["province"].sent)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert min(sent) > 0 and sum(sent) == 12  # both sent, and only 12 in all
    assert receiver.most_in_flight == 2  # the two really sent at the same time
    ids = receiver.accepted_ids()
    assert len(ids) == 12 and set(ids.values()) == {1}
    assert [r.state for r in items(session)] == ["sent"] * 12
    assert len(session.scalars(select(ExportItem)).all()) == 12  # queued once, not twice
    for database in databases:
        database.engine.dispose()


def test_a_worker_that_died_mid_send_leaves_nothing_lost(
        database_url: str, tmp_path: Path, session: Session,
        receiver_factory: Callable[..., Receiver]) -> None:
    rated_hall(session)
    receiver = receiver_factory(Receiver())
    settings = exporter_settings(database_url, tmp_path, url=receiver.url, timeout=2)
    database = Database(database_url)
    now = utcnow()
    with database.sessions() as dead:  # queued and claimed, then the process was killed
        enqueue(dead, ["province"], now)
        assert len(claim(dead, settings.exporters[0], now)) == 3
        dead.commit()
    worker = ExportWorker(database, settings)
    assert worker.run_once(now + dt.timedelta(seconds=65))["province"].sent == 0  # leased
    assert worker.run_once(now + dt.timedelta(seconds=66))["province"].sent == 3
    assert len(receiver.accepted_ids()) == 3
    database.engine.dispose()


def test_the_server_exports_in_the_background_and_stops_cleanly(
        database_url: str, tmp_path: Path, receiver_factory: Callable[..., Receiver]) -> None:
    receiver = receiver_factory(Receiver())
    settings = exporter_settings(database_url, tmp_path, url=receiver.url)
    settings.export_interval = 0.2
    app = create_app(settings)
    with app.state.database.sessions() as session:
        q = make_queue_hall(session)
        ticket = finished(session, q)
        session.commit()
    with TestClient(app) as client:
        assert app.state.export_worker.running
        answer = client.post(f"/t/{ticket.token}/rating",
                             json={"level": 3, "reasons": ["等候时间较长"]})
        assert answer.status_code == 201, answer.text
        deadline = time.monotonic() + 10
        while not receiver.accepted() and time.monotonic() < deadline:
            time.sleep(0.05)
        records = [r for request in receiver.accepted() for r in request.document["ratings"]]
        assert [(r["id"], r["level_name"], r["source"], r["ticket_number"]) for r in records
                ] == [(answer.json()["id"], "基本满意", "phone", ticket.number)]
    assert not app.state.export_worker.running  # stopped with the application
    app.state.broker.close()
    app.state.database.engine.dispose()


def test_export_once_from_the_command_line(
        database_url: str, tmp_path: Path, session: Session,
        receiver_factory: Callable[..., Receiver], capsys: pytest.CaptureFixture[str]) -> None:
    rated_hall(session)
    receiver = receiver_factory(Receiver(script=["500"]))
    config = tmp_path / "server.toml"
    config.write_text(f'[server]\ndatabase_url = "{database_url}"\n'
                      f'storage_dir = "{tmp_path / "storage"}"\n'
                      f'[[server.exporters]]\nname = "province"\nurl = "{receiver.url}"\n'
                      f'secret = "{SECRET}"\n', "utf-8")
    assert main(["export", "--once", "--config", str(config)]) == 1
    assert "province: sent 0, failed 3 (ExportError: HTTP 500" in capsys.readouterr().out
    for item in items(session):  # as if the retry time had come
        item.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    assert main(["export", "--once", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "province: sent 3, failed 0" in out and "province: 3 sent, 0 pending" in out
    assert len(receiver.accepted_ids()) == 3


def test_exporter_settings_are_checked_and_documented(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="http:// or https://"):
        ExporterConfig(url="ftp://x", secret=SECRET)
    with pytest.raises(ValidationError, match="16 or more"):
        ExporterConfig(url="https://x", secret="short")
    with pytest.raises(ValidationError, match="plug-in path"):
        ExporterConfig(kind="not a path")
    with pytest.raises(SettingsError, match="different names"):
        ServerSettings(exporters=[ExporterConfig(kind=PLUGIN)] * 2)
    missing = exporter_settings(f"sqlite:///{tmp_path / 'server.sqlite3'}", tmp_path,
                                kind="tests.server.nowhere:Exporter")
    with pytest.raises(ExporterSetupError, match="cannot load"):
        create_app(missing)  # the server does not start on a plug-in it cannot load
    # Every exporter setting is in the documentation's table, and nothing else is.
    text = DOC.read_text("utf-8")
    table = text.split("| key | default | meaning |", 1)[1].split("\n\n", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, re.M))
    assert documented == set(ExporterConfig.model_fields)
    for setting in ("export_interval", "export_max_backoff"):
        assert setting in text and setting in ServerSettings.model_fields


def test_signature_matches_the_documented_recipe() -> None:
    body = json.dumps({"ratings": []}).encode()
    assert signature(SECRET, "1795412400", body) == "sha256=" + hmac.new(
        SECRET.encode(), b"1795412400." + body, hashlib.sha256).hexdigest()
