"""Request body caps (server/body_limit.py), tried as an attacker would: raw HTTP on
loopback against ``hallkiosk server`` in its own process, its memory read from /proc."""

from __future__ import annotations

import json
import re
import select
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from fastapi import FastAPI

from devtools.server_process import start_server
from server.body_limit import body_limit
from server.security import create_user
from server.settings import ServerSettings
from tests.provisioning.live_server import live_server
from tests.server.queue_setup import PASSWORD, make_queue_hall
from tests.server.test_staff_photos import picture, stored_photo

MB = 1_000_000
SERVER_LIMIT = 65_536  # max_body_bytes by default


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    tmp: Path  # the server's TMPDIR: where Starlette spools form files

    def rss(self) -> int:
        """Resident memory of the server process in bytes."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("body-limit")
    tmp = root / "tmpdir"
    tmp.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(tmp))
        process, url = start_server(f"sqlite:///{root}/server.sqlite3", root, "server")
    try:
        yield Server(process, url, tmp)
    finally:
        process.terminate()
        process.wait(10)


@dataclass
class Answer:
    status: int
    head: str
    body: bytes
    sent: int  # body bytes the server took before it answered
    seconds: float  # from the request's first byte to the answer


def push(url: str, method: str, path: str, headers: dict[str, str],
         body: Iterable[bytes] = (), timeout: float = 10.0) -> Answer:
    """Send a request by hand, body part by part, stopping as soon as the server answers
    (or closes); return the answer and how much of the body went out."""
    address = urlsplit(url)
    sock = socket.create_connection((address.hostname, address.port), timeout=timeout)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {address.netloc}",
             *(f"{name}: {value}" for name, value in headers.items()), "", ""]
    start = time.monotonic()
    sent = 0
    with sock:
        sock.sendall("\r\n".join(lines).encode())
        try:
            for part in body:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server answered (or closed) before the body was sent
                sock.sendall(part)
                sent += len(part)
        except (BrokenPipeError, ConnectionResetError):
            pass
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed without an answer after {sent} bytes"
            received += chunk
        seconds = time.monotonic() - start
        head, _, rest = received.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    return Answer(int(head.split()[1]), head.decode("latin-1"), rest, sent, seconds)


def zeros(total: int, part: int = 65536) -> Iterator[bytes]:
    for _ in range(total // part):
        yield b"0" * part


@pytest.mark.parametrize("path", ["/api/v1/session", "/api/v1/complaints/QX-01",
                                  "/api/v1/queue/tickets", "/complain/QX-01", "/login"])
def test_a_declared_300_mb_body_is_refused_before_it_is_read(server: Server, path: str) -> None:
    answer = push(server.url, "POST", path, {"Content-Type": "application/json",
                                             "Content-Length": str(300 * MB)})
    assert answer.status == 413 and answer.seconds < 1.0
    refusal = json.loads(answer.body)
    assert "提交的内容太大" in refusal["message"] and "too large" in refusal["message_en"]
    form = push(server.url, "POST", path, {"Accept": "text/html,*/*",
                                           "Content-Type": "application/x-www-form-urlencoded",
                                           "Content-Length": str(300 * MB)})
    page = not path.startswith("/api/")  # a browser's form post gets a page
    assert form.status == 413 and ("文件太大".encode() in form.body) is page


def test_streaming_300_mb_leaves_the_server_memory_flat(server: Server) -> None:
    before = server.rss()
    answer = push(server.url, "POST", "/api/v1/session",
                  {"Content-Type": "application/json", "Content-Length": str(300 * MB)},
                  zeros(300 * MB))
    after = server.rss()
    print(f"\n300 MB declared: 413 after {answer.seconds * 1000:.1f} ms, {answer.sent} bytes "
          f"sent; server RSS {before / MB:.1f} MB before, {after / MB:.1f} MB after")
    assert answer.status == 413 and answer.sent < 10 * MB
    assert after - before < 20 * MB


def test_a_chunked_body_without_length_is_cut_off(server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        for part in zeros(300 * MB):
            yield b"%x\r\n%s\r\n" % (len(part), part)

    before = server.rss()
    answer = push(server.url, "POST", "/api/v1/session",
                  {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                  chunks())
    print(f"\nchunked: 413 after {answer.seconds * 1000:.1f} ms, {answer.sent} bytes sent")
    assert answer.status == 413 and json.loads(answer.body)["error"] == "body_too_large"
    assert answer.sent < 10 * MB and server.rss() - before < 20 * MB
    assert "connection: close" in answer.head.lower()


def test_an_anonymous_photo_upload_is_refused_unread_and_nothing_is_written(
        server: Server) -> None:
    boundary = "x" * 20
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; "
            f"filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
    answer = push(server.url, "POST", "/staff/1/photo",
                  {"Content-Type": f"multipart/form-data; boundary={boundary}",
                   "Content-Length": str(6 * MB)}, iter([head, *zeros(6 * MB)]))
    # refused while the body is still being sent: it was never read
    assert answer.status == 303 and "/login" in answer.head and answer.sent < 6 * MB
    huge = push(server.url, "POST", "/staff/1/photo",
                {"Content-Type": f"multipart/form-data; boundary={boundary}",
                 "Content-Length": str(1000 * MB)}, iter([head, *zeros(1000 * MB)]))
    assert huge.status == 413 and huge.sent < 10 * MB
    assert list(server.tmp.iterdir()) == []  # no spooled file


@pytest.mark.parametrize("path", ["/complain/QX-01", "/login"])
def test_a_form_with_too_many_fields_is_refused(server: Server, path: str) -> None:
    fields = [(f"f{n}", "x") for n in range(200)]  # small: under the body limit
    answer = requests.post(server.url + path, data=fields, allow_redirects=False, timeout=10)
    assert answer.status_code == 400 and "表单的字段太多" in answer.text
    one_big = requests.post(server.url + path, data={"phone": "1" * 60_000},
                            allow_redirects=False, timeout=10)
    assert one_big.status_code in (400, 422, 303)  # under the limits: the route decides


def test_uploads_where_they_belong_still_work(server_app: FastAPI) -> None:
    with server_app.state.database.sessions() as session:
        q = make_queue_hall(session)
        create_user(session, "boss-QX", PASSWORD, "supervisor", "QX-01")
        session.commit()
        member = q.staff[1].id
    photo = picture(size=(3000, 2000))
    assert SERVER_LIMIT < len(photo)
    with live_server(server_app) as url, requests.Session() as browser:
        signed = browser.post(f"{url}/api/v1/session", timeout=10,
                              json={"username": "boss-QX", "password": PASSWORD})
        csrf = signed.json()["csrf_token"]
        answer = browser.post(f"{url}/staff/{member}/photo", data={"csrf_token": csrf},
                              files={"photo": ("a.jpg", photo, "image/jpeg")},
                              allow_redirects=False, timeout=30)
        assert answer.status_code == 303 and answer.headers["location"] == "/staff"
        assert stored_photo(server_app, member) is not None
        big = browser.post(f"{url}/staff/{member}/photo", data={"csrf_token": csrf},
                           files={"photo": ("a.jpg", b"0" * 9 * 1024 * 1024, "image/jpeg")},
                           allow_redirects=False, timeout=30)
        assert big.status_code == 413 and "文件太大" in big.text


def test_the_nginx_guide_sets_the_same_limits() -> None:
    deploy = Path(__file__).resolve().parents[2] / "deploy"
    assert "nginx-hallkiosk.conf" in (deploy / "README.md").read_text("utf-8")
    guide = (deploy / "nginx-hallkiosk.conf").read_text("utf-8")  # tests/server/test_nginx.py
    sizes = {"k": 1024, "m": 1024 * 1024}
    settings = ServerSettings()

    def nginx(location: str) -> int:
        block = guide[guide.index(location):]
        value = re.search(r"client_max_body_size (\d+)([km])", block)
        assert value is not None
        return int(value.group(1)) * sizes[value.group(2)]

    assert nginx("server {") == settings.max_body_bytes
    assert nginx("location ~ ^/api/v1/(outbox") >= settings.max_json_bytes
    assert nginx("location = /api/v1/terminals/handoff") >= body_limit(
        settings, "POST", "/api/v1/terminals/handoff")
    assert nginx("location = /api/v1/terminals/screenshot") >= body_limit(
        settings, "POST", "/api/v1/terminals/screenshot")
    assert nginx(r"location ~ ^/staff/\d+/photo$") >= body_limit(settings, "POST",
                                                                 "/staff/7/photo")
    assert nginx('location ~ "^/(content/upload') >= body_limit(settings, "POST",
                                                               "/content/upload")
