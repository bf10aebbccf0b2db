"""Daily roll-ups of the dashboard's heaviest figures, for days that are over.

A day's queue figures are rolled up once none of its tickets can change any more (the day
is past and closed); its ratings and usage figures once the day is past (a rating overturned
later on appeal is taken off when read). Ratings and usage events count on the day the
visitor acted; one a terminal delivers late for a day already rolled up reopens that day
(rollup.reopen) so it is rolled up again. The dashboard then reads a few rows per day
instead of every ticket; the generator drops the roll-ups of the days it writes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, OutboxReceipt, utcnow
from server.queue.models import Ticket
from server.ratings.models import Rating


class StatsDay(Base):
    """A day of a hall whose figures of one part (queue, usage) are rolled up."""

    __tablename__ = "stats_day"
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # local date
    part: Mapped[str] = mapped_column(String(10), primary_key=True)  # queue, ratings, usage
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StatsQueue(Base):
    """Counts and time sums of a day's tickets of one service taken in one local hour."""

    __tablename__ = "stats_queue"
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"),
                                            primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer)
    called: Mapped[int] = mapped_column(Integer)
    finished: Mapped[int] = mapped_column(Integer)
    no_show: Mapped[int] = mapped_column(Integer)
    over_target: Mapped[int] = mapped_column(Integer)
    wait_total: Mapped[float] = mapped_column(Float)  # seconds
    service_total: Mapped[float] = mapped_column(Float)


class StatsDurations(Base):
    """Every waiting and service time (whole seconds, sorted) of a day's tickets of one
    service, so percentiles over any range stay exact to the second."""

    __tablename__ = "stats_durations"
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"),
                                            primary_key=True)
    waits: Mapped[str] = mapped_column(Text)  # JSON list of ints
    services: Mapped[str] = mapped_column(Text)


class StatsUsage(Base):
    """How often, on a day, a guide was opened (guide), searches were made (search: all,
    empty: found nothing) and a text was searched in vain (wanted)."""

    __tablename__ = "stats_usage"
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class StatsRatings(Base):
    """Ratings made on a day, by window, staff member, level and the rated ticket's waiting
    band (0 for no window or staff, -1 for no band); overturned ones are taken off live."""

    __tablename__ = "stats_ratings"
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    window_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class UnansweredQuestion(Base):
    """A question a query terminal had no confident answer to: the text only (normalised,
    personal numbers masked), its language and best score below the threshold, on the
    local day the visitor asked it. Grouped by text per hall and range of days (需求研判),
    so editors add FAQ entries and lexicon words for what is asked most."""

    __tablename__ = "unanswered_question"
    __table_args__ = (UniqueConstraint("terminal_id", "idempotency_key",
                                       name="uq_unanswered_terminal_key"),
                      Index("ix_unanswered_hall_day", "hall_id", "day", "question"))
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"))
    terminal_id: Mapped[int | None] = mapped_column(
        ForeignKey("terminal.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str] = mapped_column(String(80))
    day: Mapped[str] = mapped_column(String(10))  # local date the visitor asked
    asked_at: Mapped[dt.datetime] = mapped_column()
    question: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(10), default="")
    score: Mapped[float] = mapped_column(Float, default=0.0)


# Indexes the dashboard's queries need on other areas' tables (created in migration 0005).
Index("ix_ticket_hall_day", Ticket.hall_id, Ticket.day)
# Covers the rating queries (by window, staff and level; by waiting band through ticket_id).
Index("ix_rating_hall_created", Rating.hall_id, Rating.created_at, Rating.window_id,
      Rating.staff_id, Rating.level, Rating.ticket_id)
Index("ix_outbox_receipt_kind_occurred", OutboxReceipt.kind, OutboxReceipt.occurred_at)
