"""Live queue changes as server-sent events, across server processes.

Every change is a row of the hall's feed (``queue_event``), written in the same
transaction as the change. A subscriber reads the rows after the id it last saw,
then sleeps until woken: by this process after a commit, by PostgreSQL
``NOTIFY`` when another process committed, or by a short poll as a safety net.
So a dropped connection loses nothing: it reconnects with ``Last-Event-ID``
(browsers do this by themselves) or ``?after=`` and catches up from the feed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from protocol.queue import QueueEvent as WireEvent
from server.models import as_utc
from server.queue.core import NOTIFY_CHANNEL
from server.queue.models import QueueEvent

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0  # wake anyway this often, in case a notification was lost
KEEPALIVE_SECONDS = 15.0
BATCH = 200
RETRY_MS = 2000
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering


class _Waiter:
    def __init__(self, loop: asyncio.AbstractEventLoop, hall_id: int):
        self.loop, self.hall_id, self.event = loop, hall_id, asyncio.Event()


class Broker:
    """Wakes the live subscribers of halls; on PostgreSQL also listens for other processes."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self._waiters: set[_Waiter] = set()
        self._lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def closed(self) -> bool:
        """Whether the server is stopping: streams end, the listener stops."""
        return self._stop.is_set()

    def subscribe(self, hall_id: int) -> _Waiter:
        """A waiter for hall_id on the running event loop."""
        waiter = _Waiter(asyncio.get_running_loop(), hall_id)
        with self._lock:
            self._waiters.add(waiter)
            if self._engine.dialect.name == "postgresql" and self._listener is None:
                self._listener = threading.Thread(target=self._listen, name="queue-listen",
                                                  daemon=True)
                self._listener.start()
        return waiter

    def unsubscribe(self, waiter: _Waiter) -> None:
        """Forget a waiter."""
        with self._lock:
            self._waiters.discard(waiter)

    def wake(self, hall_ids: Iterable[int]) -> None:
        """Wake every subscriber of these halls (from any thread)."""
        halls = set(hall_ids)
        with self._lock:
            waiters = [w for w in self._waiters if w.hall_id in halls]
        for waiter in waiters:
            try:
                waiter.loop.call_soon_threadsafe(waiter.event.set)
            except RuntimeError:  # its loop has closed: the connection is gone
                self.unsubscribe(waiter)

    def close(self) -> None:
        """End every stream and stop listening (the server is stopping)."""
        self._stop.set()
        with self._lock:
            waiters = list(self._waiters)
        for waiter in waiters:
            try:
                waiter.loop.call_soon_threadsafe(waiter.event.set)
            except RuntimeError:
                pass
        if self._listener is not None:
            self._listener.join(3)

    def _listen(self) -> None:
        import psycopg

        conninfo = self._engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    log.info("listening for queue changes of other server processes")
                    delay = 0.5
                    while not self._stop.is_set():
                        halls = {int(n.payload) for n in connection.notifies(timeout=1.0)
                                 if n.payload.isdigit()}
                        if halls:
                            self.wake(halls)
            except psycopg.Error as error:
                log.warning("queue listener lost its database connection (%s); retrying in "
                            "%.1f s", error, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)


def _events_after(database: Any, hall_id: int, after: int) -> list[tuple[int, str, dict[str, Any]]]:
    with database.sessions() as session:
        rows = session.scalars(select(QueueEvent).where(
            QueueEvent.hall_id == hall_id, QueueEvent.id > after)
            .order_by(QueueEvent.id).limit(BATCH))
        return [(row.id, row.kind, feed_event(row)) for row in rows]


def feed_event(row: QueueEvent) -> dict[str, Any]:
    """The data of a feed event as sent: the stored payload with its id, kind and time."""
    event = WireEvent.model_validate({**row.payload, "id": row.id, "kind": row.kind,
                                      "at": as_utc(row.created_at)})
    return event.model_dump(mode="json", exclude_unset=True)


def sse(event_id: int | None, kind: str, data: Any) -> str:
    """One server-sent event."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


Render = Callable[[list[tuple[int, str, dict[str, Any]]]], list[str]]


async def stream(database: Any, broker: Broker, hall_id: int, after: int,
                 is_disconnected: Callable[[], Any], render: Render | None = None
                 ) -> AsyncIterator[str]:
    """The hall's feed after `after`, then each change as it happens, until disconnected.

    render turns a batch of feed rows into the events to send (default: one each); it runs
    in a worker thread, so it may read the database.
    """
    waiter = broker.subscribe(hall_id)
    idle = 0.0
    try:
        yield f"retry: {RETRY_MS}\n\n"
        while not broker.closed and not await is_disconnected():
            waiter.event.clear()
            rows = await run_in_threadpool(_events_after, database, hall_id, after)
            if rows:
                after = rows[-1][0]
                chunks = (await run_in_threadpool(render, rows) if render
                          else [sse(i, k, p) for i, k, p in rows])
                for chunk in chunks:
                    yield chunk
                idle = 0.0
                continue
            if broker.closed:
                break
            try:
                await asyncio.wait_for(waiter.event.wait(), POLL_SECONDS)
            except TimeoutError:
                idle += POLL_SECONDS
                if idle >= KEEPALIVE_SECONDS:
                    idle = 0.0
                    yield ": keepalive\n\n"
    finally:
        broker.unsubscribe(waiter)
