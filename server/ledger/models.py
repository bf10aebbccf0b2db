"""The ledger table: one entry per ticket registered at a window (服务台账), kept in columns
the supervisor's list filters and searches on. The window console still keeps its copy
on the ticket (Ticket.visitor) for the 已登记台账 mark."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, utcnow


class LedgerEntry(Base):
    """One visit as the staff member recorded it: who came, about what, what was done.

    Its matter category (业务类别) is the service the ticket was being served under when
    the entry was saved; window and staff are those who saved it."""

    __tablename__ = "ledger_entry"
    __table_args__ = (Index("ix_ledger_entry_hall_day", "hall_id", "day", "id"),
                      Index("ix_ledger_entry_hall_service", "hall_id", "service_id", "day"),
                      Index("ix_ledger_entry_hall_staff", "hall_id", "staff_id", "day"),
                      Index("ix_ledger_entry_hall_window", "hall_id", "window_id", "day"))
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"),
                                           unique=True)
    day: Mapped[str] = mapped_column(String(10))  # the visit's local date, as the ticket's
    number: Mapped[str] = mapped_column(String(8))  # the ticket number, kept for the archive
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="SET NULL"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("window.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    name: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    matter: Mapped[str] = mapped_column(String(200))
    process: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(String(500), default="")
    # What the list's words are looked for in: number and text fields in lower case, one
    # column so a search reads one value per entry (entries.search_text).
    search_text: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)  # first saved
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)  # last saved
