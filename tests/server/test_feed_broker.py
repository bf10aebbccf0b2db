"""The feed's one poller per process: reads all halls at once, fans out by hall, ends a stream
that falls behind, and still delivers a row committed after a newer one was read."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from protocol.enums import QueueEventKind
from server.db import Database, upgrade
from server.fleet.actions import create_hall
from server.models import utcnow
from server.queue import broker as feed_broker
from server.queue.models import QueueEvent


def test_one_poller_fans_out_by_hall_and_ends_a_stream_that_falls_behind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feed_broker, "QUEUE_SIZE", 3)
    database = Database(f"sqlite:///{tmp_path / 'feed.sqlite3'}")
    upgrade(database.engine)
    with database.sessions() as session:
        one, two = (create_hall(session, code, f"{code}中心").id for code in ("F-1", "F-2"))
        session.commit()
    broker = feed_broker.Broker(database.engine, max_streams=3)

    def add(hall_id: int, version: str, row_id: int | None = None) -> None:
        with database.sessions() as session:
            session.add(QueueEvent(id=row_id, hall_id=hall_id, kind=QueueEventKind.NOTICES_CHANGED,
                                   payload={"actor": "t", "version": version, "count": 1},
                                   created_at=utcnow()))
            session.commit()

    def drain(subscriber: feed_broker._Subscriber) -> list[str]:
        got = []
        while not subscriber.queue.empty():
            row = subscriber.queue.get_nowait()
            got.append("END" if row is None else row.data["version"])
        return got

    async def scenario() -> None:
        first, second, other = (broker.subscribe(one), broker.subscribe(one),
                                broker.subscribe(two))
        with pytest.raises(feed_broker.StreamsFull) as full:
            broker.admit()  # max_streams reached: 503 with Retry-After
        assert full.value.status == 503 and full.value.retry_after > 0
        await broker.ready()
        polls = broker.polls
        add(one, "a1")
        add(one, "a2")
        add(two, "b1")
        broker.wake([one])  # as a commit of this process does
        await asyncio.sleep(0.5)
        assert drain(first) == ["a1", "a2"] and drain(second) == ["a1", "a2"]
        assert drain(other) == ["b1"]
        assert broker.polls - polls <= 2  # one read for every stream, not one per stream

        # Out of order, as on PostgreSQL: a higher id is read before a lower one commits.
        with database.sessions() as session:
            top = session.query(QueueEvent.id).order_by(QueueEvent.id.desc()).first()
        assert top is not None
        add(one, "late-high", top[0] + 2)
        broker.wake()
        await asyncio.sleep(0.5)
        add(one, "late-low", top[0] + 1)
        broker.wake()
        await asyncio.sleep(0.5)
        assert drain(second) == ["late-high", "late-low"]

        # first stops reading: after QUEUE_SIZE events it is ended, not buffered further.
        drain(first)
        for number in range(5):
            add(one, f"c{number}")
            broker.wake()
            await asyncio.sleep(0.2)
        assert first.ended and drain(first) == ["END"] and broker.dropped >= 1
        assert not other.ended and drain(other) == []
        for subscriber in (first, second, other):
            broker.unsubscribe(subscriber)
        assert broker.streams == 0
        broker.close()

    asyncio.run(scenario())
    database.engine.dispose()
