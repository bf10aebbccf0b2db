"""The terminal's HTTP client: signing, timeouts, retries, one error type each way."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI

from kiosk.queue_client import reconnect_delay
from protocol.queue import ServicesReply
from provisioning.client import (
    ServerError,
    ServerRefused,
    ServerReplyInvalid,
    ServerUnavailable,
    TerminalClient,
)
from provisioning.enrol import enrol
from provisioning.identity import TerminalIdentity
from tests.provisioning.live_server import free_port, make_token


class StubHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request with the server's scripted status; records what came in."""

    def _answer(self) -> None:
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        server.seen.append((self.command, self.path, self.headers.get("X-Nonce"),  # type: ignore[attr-defined]
                            self.rfile.read(length)))
        status, body, *extra = server.script(len(server.seen))  # type: ignore[attr-defined]
        if status == 0:  # hang up without an answer
            self.close_connection = True
            return
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if isinstance(body, bytes)
                         else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra[0] if extra else {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *_args: object) -> None:
        """Quiet."""


@contextmanager
def stub(script) -> Iterator[tuple[str, list]]:  # type: ignore[no-untyped-def]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubHandler)
    server.seen = []  # type: ignore[attr-defined]
    server.script = script  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def identity(tmp_path: Path) -> TerminalIdentity:
    """A terminal identity in a temporary folder."""
    return TerminalIdentity.load_or_create(tmp_path / "terminal")


def test_signed_requests_pass_the_real_server(server_app: FastAPI, server_url: str,
                                              data_dir: Path) -> None:
    enrol(server_url, data_dir, make_token(server_app))
    with TerminalClient(server_url, TerminalIdentity.load_or_create(data_dir)) as client:
        # The exact path and query are signed: a query string must not break the signature.
        assert client.request("GET", "/api/v1/enrolment?detail=1&x=%C3%A4").json()[
            "status"] == "accepted"
        with pytest.raises(ServerRefused) as refused:
            client.request("POST", "/api/v1/heartbeat", json={"app_version": 1})
        assert refused.value.status == 422 and "invalid request" in refused.value.message
        with pytest.raises(ServerRefused, match="404"):
            client.request("GET", "/api/v1/no-such-route")


def test_idempotent_requests_retry_with_a_fresh_signature(identity: TerminalIdentity) -> None:
    with stub(lambda n: (503, {}) if n < 3 else (200, {"ok": True})) as (url, seen):
        client = TerminalClient(url, identity, retries=3, backoff=0.01)
        assert client.request("GET", "/api/v1/enrolment").json() == {"ok": True}
    assert len(seen) == 3 and len({nonce for _m, _p, nonce, _b in seen}) == 3


def test_posts_are_not_resent_after_the_server_saw_them(identity: TerminalIdentity) -> None:
    with stub(lambda n: (503, {})) as (url, seen):
        client = TerminalClient(url, identity, retries=3, backoff=0.01)
        with pytest.raises(ServerUnavailable, match="HTTP 503"):
            client.request("POST", "/api/v1/heartbeat", json={"a": 1})
    assert len(seen) == 1 and seen[0][3] == b'{"a":1}'


def test_a_503_with_retry_after_is_left_to_the_caller_who_waits_as_asked(
        identity: TerminalIdentity) -> None:
    # A server holding as many live streams as it may says when to come back: the client
    # does not hammer it with its own quick retries, and the feed waits at least that long.
    with stub(lambda n: (503, {"error": "streams_full"}, {"Retry-After": "7"})) as (url, seen):
        client = TerminalClient(url, identity, retries=3, backoff=0.01)
        with pytest.raises(ServerUnavailable, match="HTTP 503") as refused:
            client.request("GET", "/api/v1/queue/events?after=0")
    assert len(seen) == 1 and refused.value.retry_after == 7
    delays = [reconnect_delay(0, 7) for _ in range(50)]
    assert 7 <= min(delays) and max(delays) <= 10.5 and len(set(delays)) > 1  # spread out
    assert all(0.5 <= reconnect_delay(0) <= 0.75 for _ in range(20))
    assert all(10 <= reconnect_delay(9) <= 15 for _ in range(20))


def test_no_server_and_hang_ups_are_server_unavailable(identity: TerminalIdentity) -> None:
    client = TerminalClient(f"http://127.0.0.1:{free_port()}", identity, retries=1,
                            backoff=0.01)
    with pytest.raises(ServerUnavailable, match="ConnectionError"):
        client.request("GET", "/api/v1/enrolment")
    with stub(lambda n: (0, {})) as (url, seen):
        client = TerminalClient(url, identity, retries=2, backoff=0.01)
        with pytest.raises(ServerUnavailable):
            client.request("GET", "/api/v1/enrolment")
    assert len(seen) == 3


def test_a_portal_page_instead_of_json_is_server_unavailable(
        identity: TerminalIdentity) -> None:
    with stub(lambda n: (200, b"<html>Wi-Fi login</html>")) as (url, _seen):
        client = TerminalClient(url, identity)
        assert client.request("GET", "/api/v1/enrolment").status_code == 200
        with pytest.raises(ServerUnavailable, match="not JSON .text/html"):
            client.json_request("GET", "/api/v1/enrolment")


def test_slow_server_times_out(identity: TerminalIdentity) -> None:
    release = threading.Event()

    def slow(n: int) -> tuple[int, dict[str, bool]]:
        release.wait(5)
        return 200, {}

    with stub(slow) as (url, _seen):
        client = TerminalClient(url, identity, timeout=0.2, retries=0)
        with pytest.raises(ServerUnavailable, match="Timeout"):
            client.request("GET", "/api/v1/enrolment")
        release.set()


def test_revocation_stops_all_sending(identity: TerminalIdentity) -> None:
    told: list[bool] = []
    with stub(lambda n: (403, {"detail": "terminal revoked"})) as (url, seen):
        client = TerminalClient(url, identity)
        client.on_revoked(lambda: told.append(True))
        for _ in range(3):
            with pytest.raises(ServerRefused) as refused:
                client.request("POST", "/api/v1/outbox", json={})
            assert refused.value.revoked
    assert len(seen) == 1 and told == [True] and client.revoked


def test_json_and_data_are_exclusive(identity: TerminalIdentity) -> None:
    client = TerminalClient("http://127.0.0.1:1", identity)
    with pytest.raises(ValueError, match="not both"):
        client.request("POST", "/x", json={}, data=b"x")


def test_a_reply_not_as_the_protocol_says_is_one_clear_error_logged_once(
        identity: TerminalIdentity, caplog: pytest.LogCaptureFixture) -> None:
    replies = [(200, b"<html>captive portal</html>"), (200, b"<html>again</html>"),
               (200, {"hall": {"code": "H", "name": "x"}, "services": [{"code": 1}]}),
               (200, {"hall": {"code": "H", "name": "x"}, "services": []})]
    with stub(lambda n: replies[n - 1]) as (url, _seen), TerminalClient(
            url, identity, retries=1) as client:
        for _ in range(2):  # a proxy's page: not JSON, said once in the log
            with pytest.raises(ServerReplyInvalid, match="services: the reply is not JSON"):
                client.typed_request("GET", "/api/v1/queue/services", ServicesReply)
        with pytest.raises(ServerReplyInvalid, match=r"not a ServicesReply: services\.0\.code"):
            client.typed_request("GET", "/api/v1/queue/services", ServicesReply)
        reply = client.typed_request("GET", "/api/v1/queue/services", ServicesReply)
    assert reply.hall.code == "H" and reply.services == []
    logged = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(logged) == 2 and "not JSON" in logged[0] and "services.0.code" in logged[1]
    assert issubclass(ServerReplyInvalid, ServerError)  # every caller's offline path takes it
