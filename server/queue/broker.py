"""The feed's poller and fan-out, across server processes.

Each server process runs one poller (:class:`Broker`) that reads the rows added to the
feed since it last looked, for every hall at once, and hands each row to the streams of
its hall held in memory (one bounded queue per stream). The poller looks when woken: by
this process after a commit, by PostgreSQL ``NOTIFY`` when another process committed,
or by a short poll as a safety net (SQLite has no NOTIFY). So 10,000 open streams cost
one query per change or poll, not one per stream.

A stream whose client does not keep up is ended rather than allowed to grow: it
reconnects and catches up. At the configured number of streams a new one is refused
(503, Retry-After); clients retry with back-off.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from server.errors import ServiceError
from server.queue.core import NOTIFY_CHANNEL
from server.queue.feed import FeedRow, feed_row
from server.queue.models import QueueEvent

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0  # look anyway this often: another SQLite process, or a lost notification
POLL_BATCH = 2000  # rows per read of the poller (all halls)
QUEUE_SIZE = 500  # events waiting for one stream; a stream further behind is ended
GAP_SECONDS = 60.0  # how long an id skipped by the poller may still appear (PostgreSQL)
MAX_GAPS = 5000
RETRY_AFTER_SECONDS = 10  # what a refused stream is told


class StreamsFull(ServiceError):
    """This process holds as many live streams as it is configured for."""

    MESSAGES = {"streams_full": (503, "服务器当前连接较多，请稍后自动重试。",
                                 "The server holds as many live connections as it may; "
                                 "retrying shortly.")}

    def __init__(self, retry_after: int = RETRY_AFTER_SECONDS):
        super().__init__("streams_full", f"retry in {retry_after} s")
        self.retry_after = retry_after


class _Subscriber:
    __slots__ = ("hall_id", "queue", "ended")

    def __init__(self, hall_id: int):
        self.hall_id = hall_id
        self.queue: asyncio.Queue[FeedRow | None] = asyncio.Queue(QUEUE_SIZE)
        self.ended = False

    def offer(self, row: FeedRow) -> bool:
        """Queue row; False (and the stream is ended) when the client is too far behind."""
        if self.ended:
            return False
        try:
            self.queue.put_nowait(row)
            return True
        except asyncio.QueueFull:
            self.end()
            return False

    def end(self) -> None:
        """End the stream: drop what it holds and wake it."""
        self.ended = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class Broker:
    """One poller per process that reads the feed of every hall and fans it out to streams.

    wake() may be called from any thread (after a commit, by the PostgreSQL listener);
    the poller and the streams run on the server's event loop.
    """

    def __init__(self, engine: Engine, max_streams: int = 20_000):
        self._engine = engine
        self.max_streams = max_streams
        self._halls: dict[int, set[_Subscriber]] = {}
        self._count = 0
        self._lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._poller: asyncio.Task[None] | None = None
        self._woken: asyncio.Event | None = None
        self._ready: asyncio.Event | None = None
        self._cursor: int | None = None
        self._gaps: dict[int, float] = {}  # ids skipped by a read -> when first skipped
        self.dropped = 0  # streams ended because their client fell behind
        self.polls = 0  # reads of the feed by the poller (for tests and benchmarks)

    @property
    def closed(self) -> bool:
        """Whether the server is stopping: streams end, the listener stops."""
        return self._stop.is_set()

    @property
    def streams(self) -> int:
        """Live streams on this process."""
        return self._count

    def admit(self) -> None:
        """Refuse (StreamsFull) a new stream when this process holds max_streams."""
        if self._count >= self.max_streams:
            raise StreamsFull()

    def subscribe(self, hall_id: int) -> _Subscriber:
        """A subscriber for hall_id (called on the event loop); starts the poller."""
        subscriber = _Subscriber(hall_id)
        with self._lock:
            self._halls.setdefault(hall_id, set()).add(subscriber)
            self._count += 1
        self._ensure_poller()
        if self._engine.dialect.name == "postgresql":
            self._ensure_listener()
        return subscriber

    def unsubscribe(self, subscriber: _Subscriber) -> None:
        """Forget a subscriber."""
        with self._lock:
            halls = self._halls.get(subscriber.hall_id)
            if halls is not None and subscriber in halls:
                halls.discard(subscriber)
                self._count -= 1
                if not halls:
                    del self._halls[subscriber.hall_id]

    def wake(self, hall_ids: Iterable[int | str] = ()) -> None:
        """Have the poller read the feed now (from any thread); which halls changed does not
        matter: it reads every hall's new rows."""
        loop, woken = self._loop, self._woken
        if loop is None or woken is None:
            return
        try:
            loop.call_soon_threadsafe(woken.set)
        except RuntimeError:  # the loop has closed
            pass

    def close(self) -> None:
        """End every stream and stop listening (the server is stopping)."""
        self._stop.set()
        loop = self._loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(self._end_all)
            except RuntimeError:
                pass
        if self._listener is not None:
            self._listener.join(3)

    def _end_all(self) -> None:
        with self._lock:
            subscribers = [s for halls in self._halls.values() for s in halls]
        for subscriber in subscribers:
            subscriber.end()
        if self._woken is not None:
            self._woken.set()
        if self._ready is not None:  # streams still waiting to start end too
            self._ready.set()

    # -- the poller -----------------------------------------------------------------------

    def _ensure_poller(self) -> None:
        loop = asyncio.get_running_loop()
        if self._poller is not None and self._loop is loop and not self._poller.done():
            return
        self._loop, self._woken, self._ready = loop, asyncio.Event(), asyncio.Event()
        self._poller = loop.create_task(self._poll(), name="queue-feed-poller")

    async def ready(self) -> None:
        """Wait until the poller has read where the feed ends (once per process): a stream
        catches up from the feed only after that, so no row falls between the two."""
        if self._ready is not None:
            await self._ready.wait()

    async def _poll(self) -> None:
        woken, ready = self._woken, self._ready
        assert woken is not None and ready is not None
        while not self._stop.is_set():
            try:
                rows = await run_in_threadpool(self._read)
            except Exception:  # the database is away: streams wait, the poller goes on
                log.exception("reading the queue feed failed")
                rows = []
            if self._cursor is not None:
                ready.set()
            if rows:
                self._fan_out(rows)
            if self._stop.is_set():
                break
            if len(rows) >= POLL_BATCH:
                continue
            if self._cursor is None:  # the first read failed: try again shortly
                await asyncio.sleep(1)
                continue
            try:
                async with asyncio.timeout(POLL_SECONDS):
                    await woken.wait()
            except TimeoutError:
                pass
            woken.clear()

    def _read(self) -> list[tuple[int, int, FeedRow]]:
        """The rows added since the last read, as (id, hall, row), in id order."""
        self.polls += 1
        table = QueueEvent.__table__
        with self._engine.connect() as connection:
            if self._cursor is None:
                self._cursor = connection.scalar(select(table.c.id).order_by(
                    table.c.id.desc()).limit(1)) or 0
                return []
            now = time.monotonic()
            for gap, since in list(self._gaps.items()):
                if now - since > GAP_SECONDS:
                    del self._gaps[gap]
            newer = table.c.id > self._cursor
            where = or_(newer, table.c.id.in_(sorted(self._gaps))) if self._gaps else newer
            result = connection.execute(
                select(table.c.id, table.c.hall_id, table.c.kind, table.c.payload,
                       table.c.created_at).where(where).order_by(table.c.id).limit(POLL_BATCH))
            rows = [(row.id, row.hall_id, feed_row(row.id, row.kind, row.payload,
                                                   row.created_at)) for row in result]
        for row_id, _hall, _row in rows:
            if row_id in self._gaps:
                del self._gaps[row_id]
            elif row_id > self._cursor + 1:  # ids in between are not committed (yet)
                for missing in range(self._cursor + 1, min(row_id, self._cursor + MAX_GAPS)):
                    self._gaps.setdefault(missing, now)
            self._cursor = max(self._cursor, row_id)
        while len(self._gaps) > MAX_GAPS:
            del self._gaps[min(self._gaps)]
        return rows

    def _fan_out(self, rows: list[tuple[int, int, FeedRow]]) -> None:
        with self._lock:
            halls = {hall: list(self._halls.get(hall, ())) for hall in {h for _i, h, _r in rows}}
        for _id, hall, row in rows:
            for subscriber in halls[hall]:
                if not subscriber.offer(row):
                    self.dropped += 1

    # -- PostgreSQL: changes of other processes ---------------------------------------

    def _ensure_listener(self) -> None:
        with self._lock:
            if self._listener is None:
                self._listener = threading.Thread(target=self._listen, name="queue-listen",
                                                  daemon=True)
                self._listener.start()

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
                    self.wake()  # what was missed while not listening
                    while not self._stop.is_set():
                        if any(True for _n in connection.notifies(timeout=1.0)):
                            self.wake()
            except psycopg.Error as error:
                log.warning("queue listener lost its database connection (%s); retrying in "
                            "%.1f s", error, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)
