"""Case tables: the case with its code, state, deadline and hall; one event per step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, utcnow


class Case(Base):
    """One case. hall_id is the hall that has it now (a transfer moves it); origin_hall_id
    the hall where it was made. The visitor finds it by its code (or phone and code) and
    its phone page by the token."""

    __tablename__ = "case_item"
    __table_args__ = (
        UniqueConstraint("terminal_id", "idempotency_key", name="uq_case_terminal_key"),
        Index("ix_case_hall_state_due", "hall_id", "state", "due_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"))
    origin_hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # legal_aid, callback, mediation, complaint
    code: Mapped[str] = mapped_column(String(16), unique=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)  # the phone page's address
    state: Mapped[str] = mapped_column(String(12), default="submitted")
    name: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(20), default="", index=True)
    matter: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # by kind
    due_on: Mapped[dt.date] = mapped_column(Date)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    transferred_to: Mapped[str] = mapped_column(String(100), default="")
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaint.id", ondelete="SET NULL"), unique=True, default=None)
    source: Mapped[str] = mapped_column(String(12), default="terminal")
    # An integrity complaint (廉洁纪律) may accuse the hall's own staff: only supervisors
    # see it, as on the follow-up list.
    supervisors_only: Mapped[bool] = mapped_column(Boolean, default=False,
                                                   server_default=false())
    terminal_id: Mapped[int | None] = mapped_column(
        ForeignKey("terminal.id", ondelete="SET NULL"), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), default=None)
    # When the visitor made it (a terminal's time, bounded against clock skew: days before
    # received_at for an application typed while the terminal was offline).
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class CaseEvent(Base):
    """One step of a case, its audit trail and the visitor's progress: when, by whom, the
    state after it, a message for the visitor and a note for staff only."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_item.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(12))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text, default="")  # shown to the visitor
    note: Mapped[str] = mapped_column(Text, default="")  # staff only
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CaseExportItem(Base):
    """A callback case waiting to be pushed to a 12348 platform (the server's outbox)."""

    __tablename__ = "case_export_item"
    __table_args__ = (UniqueConstraint("exporter", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    exporter: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_item.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(10), default="pending", index=True)  # sent
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
