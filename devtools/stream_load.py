"""Many live event streams on one server, opened by one asyncio client over raw sockets.

For bench/bench_streams.py and tests/server/test_streams_scale.py: halls with one
accepted calling display each (its Ed25519 key made here, so no enrolment round
trips), and a few staffed halls where tickets are issued and called over HTTP. Each
stream is one plain HTTP/1.1 connection signed like a terminal's; the client reads
the server-sent events and notes when each arrived.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select

from protocol.signing import device_id, public_key_bytes, sign_request
from server.db import Database
from server.models import Hall, Terminal, utcnow
from server.queue.actions import sign_in
from server.queue.setup import apply_setup, load_setup
from server.security import create_user

PASSWORD = "stream-bench-pass"
SETUP = {"services": [{"code": "legal-aid", "name": "法律援助", "prefix": "A", "daily_cap": 999}],
         "windows": [{"number": 1, "name": "法律援助窗口", "services": ["legal-aid"]}]}


@dataclass
class StreamHall:
    """A hall and its calling display's key (shared by the hall's streams)."""

    id: int
    code: str
    key: Ed25519PrivateKey
    staff: str = ""  # the username of the staff member at window 1, when staffed


def make_halls(database_url: str, count: int, staffed: int) -> list[StreamHall]:
    """Create count halls with an accepted display each; the first `staffed` also get the
    legal-aid service and window 1 with its staff member signed in."""
    database = Database(database_url)
    keys = [Ed25519PrivateKey.generate() for _ in range(count)]
    now = utcnow()
    with database.sessions() as session:
        session.execute(insert(Hall), [
            {"code": f"S{i:04d}", "name": f"第{i}公共法律服务中心", "level": "county",
             "overlay": {}} for i in range(count)])
        ids: dict[str, int] = {code: hall_id for code, hall_id in session.execute(
            select(Hall.code, Hall.id).where(Hall.code.like("S%")))}
        session.execute(insert(Terminal), [
            {"device_id": device_id(public_key_bytes(key)),
             "public_key": base64.b64encode(public_key_bytes(key)).decode(),
             "status": "accepted", "hall_id": ids[f"S{i:04d}"], "profile": "display",
             "identity": {}, "health": {}, "requested_at": now, "decided_at": now}
            for i, key in enumerate(keys)])
        halls = [StreamHall(ids[f"S{i:04d}"], f"S{i:04d}", key) for i, key in enumerate(keys)]
        setup = load_setup(SETUP)
        for hall in halls[:staffed]:
            record = session.get(Hall, hall.id)
            assert record is not None
            apply_setup(session, record, setup)
            session.flush()
            hall.staff = f"staff-{hall.code}"
            user = create_user(session, hall.staff, PASSWORD, "staff", hall.code)
            session.flush()
            sign_in(session, record.windows[0].id, user)
        session.commit()
    database.engine.dispose()
    return halls


@dataclass
class Stream:
    """One open event stream and what it received: (event name, data, monotonic time)."""

    hall: StreamHall
    status: int = 0
    events: list[tuple[str, str, float]] = field(default_factory=list)
    closed: bool = False
    retry_after: str = ""


class StreamClient:
    """Opens and reads many event streams from one event loop."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.streams: list[Stream] = []
        self.on_event: Callable[[Stream, str, str, float], None] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def open(self, hall: StreamHall) -> Stream:
        """Open one stream of hall's feed (from now); returns once the server answered."""
        stream = Stream(hall)
        reader, writer = await asyncio.open_connection(self.host, self.port)
        path = "/api/v1/queue/events"
        headers = sign_request(hall.key, "GET", path)
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 "Accept: text/event-stream", *(f"{k}: {v}" for k, v in headers.items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        stream.status = int(status_line.split()[1])
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.lower() == "retry-after":
                stream.retry_after = value.strip()
        self.streams.append(stream)
        if stream.status != 200:
            stream.closed = True
            writer.close()
            return stream
        self._tasks.append(asyncio.create_task(self._read(stream, reader, writer)))
        return stream

    async def _read(self, stream: Stream, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter) -> None:
        buffer = b""
        try:
            while True:  # chunked transfer: size line, data, CRLF
                size_line = await reader.readline()
                if not size_line:
                    break
                size = int(size_line.strip() or b"0", 16)
                if size == 0:
                    break
                buffer += (await reader.readexactly(size + 2))[:-2]
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    name, data = "message", ""
                    for line in block.decode().split("\n"):
                        if line.startswith("event: "):
                            name = line[7:]
                        elif line.startswith("data: "):
                            data = line[6:]
                    if data:
                        now = time.monotonic()
                        stream.events.append((name, data, now))
                        if self.on_event is not None:
                            self.on_event(stream, name, data, now)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            stream.closed = True
            writer.close()

    async def close(self) -> None:
        """Close every stream."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
