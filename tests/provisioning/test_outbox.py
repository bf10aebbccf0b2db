"""The outbox: durable puts, batches, and exactly-once delivery through crashes."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi import FastAPI
from sqlalchemy import func, select

from provisioning.client import ServerUnavailable, TerminalClient
from provisioning.enrol import enrol
from provisioning.identity import TerminalIdentity
from provisioning.outbox import MAX_ITEM_BYTES, Outbox, OutboxError, OutboxRow, OutboxSender
from server.models import OutboxReceipt
from tests.provisioning.live_server import make_token

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def client(server_app: FastAPI, server_url: str, data_dir: Path) -> TerminalClient:
    """A client of an accepted terminal."""
    enrol(server_url, data_dir, make_token(server_app))
    return TerminalClient(server_url, TerminalIdentity.load_or_create(data_dir), retries=0)


def receipts(app: FastAPI) -> list[str]:
    """Every idempotency key the server stored."""
    with app.state.database.sessions() as session:
        return list(session.scalars(select(OutboxReceipt.idempotency_key)))


class LostReplyClient(TerminalClient):
    """A client whose replies to outbox posts never arrive (the server did the work)."""

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = super().request(method, path, **kwargs)
        if path == "/api/v1/outbox":
            raise ServerUnavailable("reply lost")
        return response


def test_put_is_durable_and_checked(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    key = outbox.put("rating", {"level": 5, "reasons": ["态度好"]})
    reopened = Outbox(tmp_path)  # another connection sees it: put committed before returning
    assert [item.key for item in reopened.pending()] == [key] and reopened.size() == 1
    for kind, payload, message in [("Bad Kind", {}, "kind"), ("ok", {"x": object()}, "not JSON"),
                                   ("ok", ["list"], "JSON object"),
                                   ("ok", {"x": "y" * MAX_ITEM_BYTES}, "at most")]:
        with pytest.raises(OutboxError, match=message):
            outbox.put(kind, payload)  # type: ignore[arg-type]
    outbox.mark_delivered([key])
    assert outbox.size() == 0
    assert outbox.purge_delivered(older_than=-dt.timedelta(seconds=1)) == 1
    outbox.close()
    reopened.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    Outbox(tmp_path).close()
    with sqlite3.connect(tmp_path / "outbox.sqlite3") as connection:
        connection.execute("PRAGMA user_version=9")
    connection.close()
    with pytest.raises(OutboxError, match="outbox schema 9"):
        Outbox(tmp_path)


def test_a_lost_reply_is_resent_and_acknowledged_as_duplicate(
        server_app: FastAPI, client: TerminalClient, data_dir: Path) -> None:
    outbox = Outbox(data_dir)
    keys = [outbox.put("usage.screen", {"n": n}) for n in range(7)]
    lossy = LostReplyClient(client.server_url, client.identity, retries=0)
    with pytest.raises(ServerUnavailable):
        OutboxSender(outbox, lossy, batch_size=5).deliver()
    assert sorted(receipts(server_app)) == sorted(keys[:5])  # stored, but not confirmed
    assert outbox.size() == 7
    assert OutboxSender(outbox, client, batch_size=5).deliver() == 7
    assert outbox.size() == 0 and sorted(receipts(server_app)) == sorted(keys)
    with outbox.sessions() as session:
        attempts = dict(session.execute(select(OutboxRow.key, OutboxRow.attempts)).all())
    assert [attempts[key] for key in keys] == [2] * 5 + [1] * 2
    outbox.close()


def test_batches_stay_under_the_size_limit(server_app: FastAPI, client: TerminalClient,
                                           data_dir: Path) -> None:
    outbox = Outbox(data_dir)
    for n in range(40):  # 40 x 60 KB: far over one request's limit, so several batches
        outbox.put("feedback", {"n": n, "text": "意见" * 10_000})
    assert OutboxSender(outbox, client).deliver() == 40
    assert len(receipts(server_app)) == 40
    outbox.close()


def test_killing_the_sender_never_loses_or_duplicates(server_app: FastAPI, server_url: str,
                                                      client: TerminalClient,
                                                      data_dir: Path) -> None:
    put: list[str] = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(1234)
    for _round in range(8):
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.provisioning.outbox_worker", server_url,
             str(data_dir)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT,
            env=env, text=True)
        time.sleep(rng.uniform(0.8, 2.0))
        worker.send_signal(signal.SIGKILL)
        output, _ = worker.communicate(timeout=30)
        # Only keys whose put() returned were printed: those must never be lost.
        put += [line for line in output.splitlines() if len(line) == 36]
    outbox = Outbox(data_dir)
    with outbox.sessions() as session:
        queued = set(session.scalars(select(OutboxRow.key)))
        resent = session.scalar(select(func.count()).where(OutboxRow.attempts > 1))
    OutboxSender(outbox, client).deliver()
    stored = receipts(server_app)
    assert len(put) > 50 and set(put) <= queued
    assert sorted(stored) == sorted(queued)  # every item once, nothing extra
    assert outbox.size() == 0
    print(f"{len(queued)} items, {resent} sent more than once, none lost or doubled")
    outbox.close()
