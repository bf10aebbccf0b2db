"""Rating tables: ratings bound to ticket, service, window and staff; complaints; the
follow-up work items with their audit trail; the holiday calendar; the export outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, utcnow


class Rating(Base):
    """A visitor's rating of a finished ticket, or of the hall in general (no ticket)."""

    __tablename__ = "rating"
    # A key is the sending terminal's own: another terminal's key never finds its rating.
    __table_args__ = (UniqueConstraint("terminal_id", "idempotency_key",
                                       name="uq_rating_terminal_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket.id", ondelete="SET NULL"), unique=True)  # 一次一评
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="SET NULL"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("window.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    level: Mapped[int] = mapped_column(Integer)  # 5 非常满意 ... 1 非常不满意
    reasons: Mapped[list[str]] = mapped_column(default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(12))  # pad, terminal, phone
    terminal_id: Mapped[int | None] = mapped_column(
        ForeignKey("terminal.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    # When the visitor acted (the terminal's time, bounded against clock skew), and when
    # the server received it: days apart for an item a terminal kept while offline.
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RatingComment(Base):
    """A comment the visitor writes on the phone after rating at a terminal (the thank-you
    screen's QR code carries a token the terminal signed and also put in the rating).

    Whichever arrives first, the comment or the rating, inserts the row; the other finds it
    and completes it, so the two meet whatever their order, and the primary key settles a
    race between them.
    """

    __tablename__ = "rating_comment"
    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    terminal_id: Mapped[int | None] = mapped_column(
        ForeignKey("terminal.id", ondelete="SET NULL"))
    rating_id: Mapped[int | None] = mapped_column(
        ForeignKey("rating.id", ondelete="CASCADE"), unique=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    commented_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Complaint(Base):
    """A complaint or suggestion (投诉建议) left at a terminal or online."""

    __tablename__ = "complaint"
    # Keys are scoped to the hall and the source (and looked up with the terminal too):
    # another hall's key never finds its complaint.
    __table_args__ = (UniqueConstraint("hall_id", "source", "idempotency_key",
                                       name="uq_complaint_hall_source_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(40))  # a key of complaints.CATEGORIES
    kind: Mapped[str] = mapped_column(String(12), default="complaint")  # complaint, suggestion
    phone: Mapped[str] = mapped_column(String(20), default="")  # for a call back; may be empty
    content: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(12))  # terminal, online
    terminal_id: Mapped[int | None] = mapped_column(
        ForeignKey("terminal.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    # When the visitor acted (the terminal's time, bounded against clock skew), and when
    # the server received it: days apart for an item a terminal kept while offline.
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FollowUp(Base):
    """A work item: a bad rating to call back and put right (差评回访整改), or a complaint
    to handle; due a number of working days after it was opened."""

    __tablename__ = "follow_up"
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # rating, complaint
    rating_id: Mapped[int | None] = mapped_column(
        ForeignKey("rating.id", ondelete="CASCADE"), unique=True)
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), unique=True)
    window_id: Mapped[int | None] = mapped_column(ForeignKey("window.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # who was rated
    # open -> visited (回访 recorded) -> closed (整改 result); an appeal (申诉) by the rated
    # staff member puts it in "appealed" until a supervisor upholds or overturns it.
    state: Mapped[str] = mapped_column(String(12), default="open", index=True)
    due_on: Mapped[dt.date] = mapped_column(Date)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    visit_note: Mapped[str] = mapped_column(Text, default="")
    visited_at: Mapped[dt.datetime | None]
    resolution: Mapped[str] = mapped_column(Text, default="")  # 整改 result or explanation
    closed_at: Mapped[dt.datetime | None]
    appeal_reason: Mapped[str] = mapped_column(Text, default="")
    appeal_decision: Mapped[str] = mapped_column(String(12), default="")  # upheld, overturned
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class FollowUpEvent(Base):
    """The audit trail of a work item: every step, when, by whom, with its note."""

    __tablename__ = "follow_up_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(
        ForeignKey("follow_up.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CalendarDay(Base):
    """A day that breaks the Monday-to-Friday week: a public holiday (off) or an adjusted
    working weekend day (调休上班, not off). Due dates in working days read these."""

    __tablename__ = "calendar_day"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    off: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(40), default="")


class ExportItem(Base):
    """A rating waiting to be pushed to the provincial platform (the server's outbox)."""

    __tablename__ = "export_item"
    __table_args__ = (UniqueConstraint("exporter", "rating_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    exporter: Mapped[str] = mapped_column(String(40))
    rating_id: Mapped[int] = mapped_column(ForeignKey("rating.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(10), default="pending", index=True)  # sent
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
