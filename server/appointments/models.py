"""Appointment tables: a hall's bookable services and the bookings of their slots."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, utcnow


class BookableService(Base):
    """A service a visitor can book (公证, 律师值班咨询, 人民调解, a village legal adviser's
    驻点时间 at one service point): its weekly slots, the seats per slot, and the queue
    service whose priority ticket a check-in issues."""

    __tablename__ = "appointment_service"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    place: Mapped[str] = mapped_column(String(100), default="")  # service point
    queue_service: Mapped[str] = mapped_column(String(40))
    slots: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # weekday -> ranges
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    days_ahead: Mapped[int] = mapped_column(Integer, default=14)
    early_minutes: Mapped[int] = mapped_column(Integer, default=30)
    late_minutes: Mapped[int] = mapped_column(Integer, default=15)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Booking(Base):
    """One seat of one slot. A live booking holds its seat number; (service, day, start,
    seat) is unique, so two bookings racing for the last seat cannot both be stored on
    any database. A cancelled booking gives its seat back (seat NULL, never unique)."""

    __tablename__ = "appointment_booking"
    __table_args__ = (
        UniqueConstraint("service_id", "day", "start", "seat", name="uq_booking_seat"),
        Index("ix_booking_hall_day", "hall_id", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(
        ForeignKey("appointment_service.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    start: Mapped[str] = mapped_column(String(5))  # local HH:MM
    end: Mapped[str] = mapped_column(String(5))
    seat: Mapped[int | None] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)  # the phone page's address
    name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    matter: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(12), default="booked")  # booked/cancelled/checked_in
    source: Mapped[str] = mapped_column(String(12), default="phone")  # phone / terminal
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket.id", ondelete="SET NULL"), default=None)
