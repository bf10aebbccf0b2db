"""Live queue changes as server-sent events: one hall's stream for one client.

A stream starts by catching up from the feed itself (rows after ``Last-Event-ID`` or
``?after=``), so a dropped connection loses nothing, then sends each row the
:class:`~server.queue.broker.Broker` hands it, with keepalives in between.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from server.queue.broker import Broker
from server.queue.feed import FeedRow, feed_row
from server.queue.models import QueueEvent

KEEPALIVE_SECONDS = 15.0
BATCH = 200  # rows per catch-up read of one stream
RETRY_MS = 2000
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering
Render = Callable[[list[FeedRow]], list[str]]


def _events_after(database: Any, hall_id: int, after: int) -> list[FeedRow]:
    with database.sessions() as session:
        rows = session.scalars(select(QueueEvent).where(
            QueueEvent.hall_id == hall_id, QueueEvent.id > after)
            .order_by(QueueEvent.id).limit(BATCH))
        return [feed_row(row.id, row.kind, row.payload, row.created_at) for row in rows]


async def stream(database: Any, broker: Broker, hall_id: int, after: int,
                 is_disconnected: Callable[[], Any], render: Render | None = None
                 ) -> AsyncIterator[str]:
    """The hall's feed after `after`, then each change as it happens, until disconnected.

    render turns a batch of feed rows into the events to send (default: one each); it runs
    in a worker thread, so it may read the database. is_disconnected is kept for callers;
    Starlette ends the stream when its client goes (or the next keepalive fails).
    """
    subscriber = broker.subscribe(hall_id)  # first, so nothing falls between catch-up and live
    try:
        yield f"retry: {RETRY_MS}\n\n"
        await broker.ready()
        while not broker.closed:  # catch up from the feed
            rows = await run_in_threadpool(_events_after, database, hall_id, after)
            if rows:
                after = rows[-1].id
                for chunk in await _rendered(rows, render):
                    yield chunk
            if len(rows) < BATCH:
                break
        while not broker.closed and not subscriber.ended:
            try:
                async with asyncio.timeout(KEEPALIVE_SECONDS):
                    row = await subscriber.queue.get()
            except TimeoutError:  # (a client that left is noticed by Starlette, or here)
                yield ": keepalive\n\n"
                continue
            if row is None:  # ended: the server stops, or this client fell behind
                break
            batch = [row] if row.id > after else []
            while not subscriber.queue.empty():  # whatever else is waiting, in one go
                more = subscriber.queue.get_nowait()
                if more is None:
                    subscriber.ended = True
                    break
                if more.id > after:
                    batch.append(more)
            if batch:
                after = batch[-1].id
                for chunk in await _rendered(batch, render):
                    yield chunk
    finally:
        broker.unsubscribe(subscriber)


async def _rendered(rows: list[FeedRow], render: Render | None) -> list[str]:
    if render is None:
        return [row.chunk for row in rows]
    return await run_in_threadpool(render, rows)
