"""The terminal's outbox: what it must send waits in SQLite and is delivered exactly once.

``put`` commits before it returns, so an item survives a crash from then on.
The sender marks items delivered only after the server's reply lists their
keys; a crash or a lost reply means the batch goes again, and the server
acknowledges a key it already stored as a duplicate instead of storing it
twice. Together: never lost, never applied twice.

The table is created with ``metadata.create_all`` rather than an Alembic
migration: it is one table in its own file that only this module writes.
``PRAGMA user_version`` records the schema version, so a later change can
migrate (or move to Alembic) knowing exactly what it finds.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Integer,
    String,
    create_engine,
    delete,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from provisioning.client import TerminalClient

log = logging.getLogger(__name__)
SCHEMA_VERSION = 1
OUTBOX_FILE = "outbox.sqlite3"
MAX_ITEM_BYTES = 64_000
MAX_BATCH_BYTES = 500_000
KIND = re.compile(r"^[a-z][a-z0-9_.-]{0,29}$")


class OutboxError(Exception):
    """An item that cannot be queued, or an outbox file that cannot be used."""


class Base(DeclarativeBase):
    """Declarative base of the outbox database."""


class OutboxRow(Base):
    """One item waiting for (or done with) delivery."""

    __tablename__ = "outbox_item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)


@dataclass(frozen=True)
class OutboxItem:
    """An item as the sender sees it."""

    key: str
    kind: str
    payload: dict[str, Any]
    created_at: dt.datetime
    attempts: int

    def to_json(self) -> dict[str, Any]:
        """The item as sent to POST /api/v1/outbox."""
        created = self.created_at if self.created_at.tzinfo else self.created_at.replace(
            tzinfo=dt.UTC)
        return {"key": self.key, "kind": self.kind, "payload": self.payload,
                "created_at": created.isoformat()}


def _pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # a committed put survives power loss
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Outbox:
    """A durable queue of items for the server, in data_dir/outbox.sqlite3."""

    def __init__(self, data_dir: Path | str):
        path = Path(data_dir) / OUTBOX_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(f"sqlite:///{path}",
                                            connect_args={"check_same_thread": False})
        event.listen(self.engine, "connect", _pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        with self.engine.begin() as connection:
            found = connection.exec_driver_sql("PRAGMA user_version").scalar()
            if found not in (0, SCHEMA_VERSION):
                raise OutboxError(f"{path}: outbox schema {found}, this version knows "
                                  f"{SCHEMA_VERSION}")
            Base.metadata.create_all(connection)
            connection.exec_driver_sql(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        """Release the database file."""
        self.engine.dispose()

    def put(self, kind: str, payload: dict[str, Any]) -> str:
        """Queue one item and commit; returns its idempotency key.

        It waits for the disk (fsync), so call it from a worker, not the UI thread.
        """
        if not KIND.match(kind):
            raise OutboxError(f"kind {kind!r}: lower-case letters, digits, _ . - (30 at most)")
        try:
            size = len(json.dumps(payload, ensure_ascii=False).encode())
        except (TypeError, ValueError) as exc:
            raise OutboxError(f"payload is not JSON: {exc}") from None
        if not isinstance(payload, dict) or size > MAX_ITEM_BYTES:
            raise OutboxError(f"payload must be a JSON object of at most {MAX_ITEM_BYTES} bytes")
        key = str(uuid.uuid4())
        with self.sessions.begin() as session:
            session.add(OutboxRow(key=key, kind=kind, payload=payload, created_at=_now()))
        return key

    def pending(self, limit: int = 100) -> list[OutboxItem]:
        """The oldest undelivered items."""
        with self.sessions() as session:
            rows = session.scalars(select(OutboxRow).where(OutboxRow.delivered_at.is_(None))
                                   .order_by(OutboxRow.id).limit(limit)).all()
            return [OutboxItem(row.key, row.kind, row.payload, row.created_at, row.attempts)
                    for row in rows]

    def record_attempt(self, keys: list[str]) -> None:
        """Count one more delivery attempt for these items."""
        with self.sessions.begin() as session:
            session.execute(update(OutboxRow).where(OutboxRow.key.in_(keys))
                            .values(attempts=OutboxRow.attempts + 1))

    def mark_delivered(self, keys: list[str]) -> None:
        """Record that the server has these items."""
        with self.sessions.begin() as session:
            session.execute(update(OutboxRow).where(OutboxRow.key.in_(keys),
                                                    OutboxRow.delivered_at.is_(None))
                            .values(delivered_at=_now()))

    def size(self) -> int:
        """How many items wait for delivery."""
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(OutboxRow)
                                      .where(OutboxRow.delivered_at.is_(None))) or 0)

    def purge_delivered(self, older_than: dt.timedelta = dt.timedelta(days=7)) -> int:
        """Forget delivered items older than some days; returns how many."""
        with self.sessions.begin() as session:
            result = session.execute(delete(OutboxRow).where(
                OutboxRow.delivered_at < _now() - older_than))
            return int(getattr(result, "rowcount", 0) or 0)


class OutboxSender:
    """Delivers the outbox in batches to POST /api/v1/outbox."""

    def __init__(self, outbox: Outbox | Callable[[], Outbox], client: TerminalClient,
                 batch_size: int = 100):
        self._outbox = outbox  # or how to open it, on first use (a heartbeat's thread)
        self.client = client
        self.batch_size = batch_size

    @property
    def outbox(self) -> Outbox:
        """The outbox delivered from."""
        return self._outbox if isinstance(self._outbox, Outbox) else self._outbox()

    def _batch(self) -> list[OutboxItem]:
        items: list[OutboxItem] = []
        total = 0
        for item in self.outbox.pending(self.batch_size):
            size = len(json.dumps(item.to_json(), ensure_ascii=False).encode())
            if items and total + size > MAX_BATCH_BYTES:
                break
            items.append(item)
            total += size
        return items

    def deliver(self) -> int:
        """Send everything pending; returns how many items the server confirmed.

        Raises the client's ServerUnavailable / ServerRefused; whatever was not
        confirmed stays queued for the next call.
        """
        delivered = 0
        while batch := self._batch():
            keys = [item.key for item in batch]
            self.outbox.record_attempt(keys)
            reply = self.client.json_request(
                "POST", "/api/v1/outbox", json={"items": [item.to_json() for item in batch]})
            answered = set(reply.get("accepted", [])) | set(reply.get("duplicates", []))
            confirmed = [key for key in keys if key in answered]
            self.outbox.mark_delivered(confirmed)
            delivered += len(confirmed)
            if len(confirmed) < len(keys):
                log.error("server confirmed %d of %d outbox items", len(confirmed), len(keys))
                break
        if delivered:
            self.outbox.purge_delivered()
        return delivered
