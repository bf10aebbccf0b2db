"""Queue tables: tickets with their event log, per-service daily counters, the event feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models import Base, Service, Window, utcnow

# A waiting ticket is "waiting" or, after a transfer, "transferred" (waiting in its new queue).
WAITING = ("waiting", "transferred")
AT_WINDOW = ("called", "serving")
OPEN_STATES = (*WAITING, *AT_WINDOW, "held")
FINAL_STATES = ("finished", "no_show", "cancelled")
# Served first: checked-in appointments, then 绿色通道, then everyone by arrival.
PRIORITY_RANK = {"appointment": 0, "green": 1, "normal": 2}


class QueueCounter(Base):
    """The last number issued for a service on a day; the row is the lock for numbering."""

    __tablename__ = "queue_counter"
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"),
                                            primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # local date, YYYY-MM-DD
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    """A queue ticket; its number belongs to the service it was issued for, on its day."""

    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("origin_service_id", "day", "seq"),
        # A key is the issuing terminal's own: another terminal's key never finds its ticket.
        UniqueConstraint("terminal_id", "idempotency_key", name="uq_ticket_terminal_key"),
        Index("ix_ticket_queue", "hall_id", "state", "day"),
        # A service's queue: the people ahead of a ticket counted from the index alone
        # (server/queue/views.py); service_id first, so it serves every lookup by service.
        Index("ix_ticket_service_queue", "service_id", "day", "state", "rank", "arrival_at"),
        # Its recent finished tickets (the estimated wait), not every ticket it ever had.
        # Partial: a ticket enters it when finished, so issuing one writes nothing here.
        Index("ix_ticket_service_finished", "service_id", "finished_at",
              sqlite_where=text("state = 'finished'"),
              postgresql_where=text("state = 'finished'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"))
    origin_service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    day: Mapped[str] = mapped_column(String(10))
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(12), default="waiting")
    priority: Mapped[str] = mapped_column(String(12), default="normal")
    rank: Mapped[int] = mapped_column(Integer, default=2)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # the phone page's address
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    appointment_code: Mapped[str | None] = mapped_column(String(20))
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminal.id", ondelete="SET NULL"))
    arrival_at: Mapped[dt.datetime] = mapped_column(default=utcnow)  # kept across transfers
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    called_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    window_id: Mapped[int | None] = mapped_column(ForeignKey("window.id", ondelete="SET NULL"))
    target_window_id: Mapped[int | None] = mapped_column(
        ForeignKey("window.id", ondelete="SET NULL"))  # transferred to one window only
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    close_reason: Mapped[str] = mapped_column(String(40), default="")
    visitor: Mapped[dict[str, Any]] = mapped_column(default=dict)  # 服务台账 fields
    service: Mapped[Service] = relationship(foreign_keys=[service_id])
    window: Mapped[Window | None] = relationship(foreign_keys=[window_id])


class TicketEvent(Base):
    """One thing that happened to a ticket, when, and who did it."""

    __tablename__ = "ticket_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"),
                                           index=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("window.id", ondelete="SET NULL"))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class QueueEvent(Base):
    """The hall's change feed, read by live subscribers after the id they last saw."""

    __tablename__ = "queue_event"
    __table_args__ = (Index("ix_queue_event_hall", "hall_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
