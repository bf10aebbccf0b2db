"""The document handoff: a terminal uploads a PDF over its signed channel; the phone's link
works once, expires after 30 minutes, and nothing is left behind."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fastapi import FastAPI

from kiosk.document_handoff import HandoffFailed, hand_off
from protocol.handoff import HANDOFF_MINUTES
from provisioning.client import TerminalClient
from provisioning.enrol import enrol as enrol_terminal
from provisioning.identity import TerminalIdentity
from server.handoff import HandoffStore
from tests.provisioning.live_server import live_server, make_token

PDF = b"%PDF-1.4\n% a visitor's filled-in form\n" + os.urandom(2000)


@pytest.fixture
def terminal(server_app: FastAPI, tmp_path: Path) -> Iterator[tuple[TerminalClient, Path]]:
    """An enrolled terminal's signed client against the server on real HTTP."""
    with live_server(server_app) as url:
        enrol_terminal(url, tmp_path / "t", make_token(server_app))
        identity = TerminalIdentity.load_or_create(tmp_path / "t")
        with TerminalClient(url, identity, retries=0) as client:
            yield client, server_app.state.settings.storage_dir / "handoff"


def test_link_works_once_then_nothing_is_left(terminal):
    client, folder = terminal
    stored = hand_off(client, PDF)
    assert stored.expires_in == HANDOFF_MINUTES * 60
    assert stored.url.startswith(client.server_url + "/d/")
    token = stored.url.rsplit("/", 1)[1]
    assert len(token) >= 40  # unguessable
    first = requests.get(stored.url, timeout=10)
    assert first.status_code == 200 and first.content == PDF
    assert first.headers["Content-Type"] == "application/pdf"
    assert first.headers["Cache-Control"] == "no-store"
    again = requests.get(stored.url, timeout=10)
    assert again.status_code == 404 and "已使用或已过期" in again.json()["detail"]
    assert list(folder.iterdir()) == []  # nothing personal left on the server


def test_link_expires_after_thirty_minutes(terminal):
    client, folder = terminal
    stored = hand_off(client, PDF)
    kept = next(folder.glob("*.pdf"))
    old = time.time() - HANDOFF_MINUTES * 60 - 1
    os.utime(kept, (old, old))
    assert requests.get(stored.url, timeout=10).status_code == 404
    assert not kept.exists()


def test_only_signed_pdfs_are_taken(terminal, server_app):
    client, folder = terminal
    with pytest.raises(HandoffFailed) as refused:
        hand_off(client, b"<html>not a pdf</html>")
    assert "服务器未能接收文书" in refused.value.message_zh
    assert "did not take" in refused.value.message_en
    unsigned = requests.post(client.server_url + "/api/v1/terminals/handoff", data=PDF,
                             headers={"Content-Type": "application/pdf"}, timeout=10)
    assert unsigned.status_code == 401
    assert not folder.exists() or list(folder.iterdir()) == []
    assert requests.get(client.server_url + "/d/" + "x" * 43, timeout=10).status_code == 404
    assert requests.get(client.server_url + "/d/..%2F..%2Fetc", timeout=10).status_code == 404


def test_server_unreachable_is_told_and_nothing_kept(tmp_path: Path):
    identity = TerminalIdentity.load_or_create(tmp_path / "t")
    with TerminalClient("http://127.0.0.1:9", identity, retries=0, timeout=2) as client:
        with pytest.raises(HandoffFailed) as failed:
            hand_off(client, PDF)
    assert "无法连接服务器" in failed.value.message_zh


def test_store_gives_a_document_once_and_refuses_bad_tokens(tmp_path: Path):
    store = HandoffStore(tmp_path / "handoff")
    token = store.put(PDF)
    results = [store.take(token), store.take(token)]
    assert results == [PDF, None]
    assert store.take("../../etc/passwd") is None
