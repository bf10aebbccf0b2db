"""500 live event streams on one server process: a hall's call reaches exactly that hall's
streams, a broadcast from another process reaches every stream, one more is refused."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from types import SimpleNamespace

from devtools.server_process import start_server
from devtools.staff_client import StaffSession
from devtools.stream_load import PASSWORD, StreamClient, make_halls
from kiosk.queue_client import QueueClient, new_request_key
from protocol.enums import QueueEventKind
from provisioning.client import TerminalClient
from server.db import Database
from server.queue import broker, feed

HALLS, PER_HALL = 50, 10


async def _wait(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.05)
    return bool(condition())  # type: ignore[operator]


def test_calls_reach_their_hall_and_a_broadcast_reaches_every_stream(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'streams.sqlite3'}"
    server, url = start_server(database_url, tmp_path, "server",
                               settings={"max_streams": str(HALLS * PER_HALL)})
    try:
        halls = make_halls(database_url, HALLS, staffed=2)
        asyncio.run(_scenario(url, database_url, halls))
    finally:
        server.terminate()
        server.wait(20)


async def _scenario(url: str, database_url: str, halls: list) -> None:  # type: ignore[type-arg]
    client = StreamClient(url)
    gate = asyncio.Semaphore(50)

    async def open_one(hall: object) -> None:
        async with gate:
            await client.open(hall)  # type: ignore[arg-type]

    await asyncio.gather(*(open_one(hall) for hall in halls for _ in range(PER_HALL)))
    assert [s.status for s in client.streams] == [200] * (HALLS * PER_HALL)

    # One more than max_streams: refused clearly, with when to come back.
    refused = await client.open(halls[0])
    assert refused.status == 503 and int(refused.retry_after) >= 1

    def kinds(stream: object) -> list[str]:
        return [name for name, _data, _at in stream.events]  # type: ignore[attr-defined]

    # A ticket and a call in hall 0, through the server: its 10 streams, nobody else's.
    display = QueueClient(TerminalClient(url, SimpleNamespace(private_key=halls[0].key)))
    ticket = await asyncio.to_thread(display.take_ticket, "legal-aid", new_request_key())
    staff = await asyncio.to_thread(StaffSession, url, halls[0].staff, PASSWORD)
    called = await asyncio.to_thread(staff.post, "/windows/1/call-next")
    assert called.status_code == 200 and called.json()["number"] == ticket.number
    live = client.streams[:-1]
    mine = [s for s in live if s.hall.id == halls[0].id]
    assert len(mine) == PER_HALL
    assert await _wait(lambda: all(kinds(s) == ["issued", "called"] for s in mine), 5)
    for stream in mine:
        data = json.loads(stream.events[1][1])
        assert data["number"] == ticket.number and data["window"] == 1
    await asyncio.sleep(0.5)
    assert all(kinds(s) == [] for s in live if s.hall.id != halls[0].id)

    # A broadcast written by another process (this one): every stream, once, by the poll.
    database = Database(database_url)
    with database.sessions() as session:
        assert feed.broadcast(session, QueueEventKind.NOTICES_CHANGED, "test",
                              version="province-1", count=1) >= HALLS
        session.commit()
    database.engine.dispose()
    assert await _wait(lambda: all(kinds(s)[-1:] == ["notices_changed"] for s in live),
                       broker.POLL_SECONDS + 3)
    for stream in live:
        assert kinds(stream).count("notices_changed") == 1
        assert json.loads(stream.events[-1][1])["version"] == "province-1"
    assert not any(s.closed for s in live)
    await client.close()
