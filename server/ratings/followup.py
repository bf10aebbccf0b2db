"""Follow-up work items: every bad rating and every complaint gets one, due a number of
working days later (weekends and the holiday calendar skipped)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import utcnow
from server.queue.hours import local_day
from server.ratings.models import CalendarDay, Complaint, FollowUp, FollowUpEvent, Rating
from server.ratings.rules import BAD_LEVELS, DEFAULT_FOLLOW_UP_DAYS, add_working_days


def due_date(session: Session, start: dt.date, days: int) -> dt.date:
    """start plus days working days, by the calendar stored in the database."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.off).where(
        CalendarDay.day > start, CalendarDay.day <= start + dt.timedelta(days=days * 3 + 30)))
    holidays: list[dt.date] = []
    workdays: list[dt.date] = []
    for day, off in rows:
        (holidays if off else workdays).append(day)
    return add_working_days(start, days, holidays, workdays)


def _open(session: Session, item: FollowUp, actor: str, days: int,
          since: dt.datetime) -> FollowUp:
    # The deadline counts from the local day the visitor rated or complained, which may
    # be days before a terminal that was offline delivered it; the item is dated so too.
    item.created_at = since
    item.due_on = due_date(session, dt.date.fromisoformat(local_day(since)), days)
    session.add(item)
    session.flush()
    session.add(FollowUpEvent(follow_up_id=item.id, kind="opened", actor=actor,
                              detail={"due_on": item.due_on.isoformat()}))
    return item


def open_for_rating(session: Session, rating: Rating,
                    days: int = DEFAULT_FOLLOW_UP_DAYS) -> FollowUp | None:
    """The work item for a bad rating (不满意, 非常不满意); None for other levels."""
    if rating.level not in BAD_LEVELS:
        return None
    return _open(session, FollowUp(hall_id=rating.hall_id, kind="rating", rating_id=rating.id,
                                   window_id=rating.window_id, staff_id=rating.staff_id),
                 "system", days, rating.created_at or utcnow())


def open_for_complaint(session: Session, complaint: Complaint,
                       days: int = DEFAULT_FOLLOW_UP_DAYS) -> FollowUp:
    """The work item for a complaint or suggestion, and its case (一案一码)."""
    from server.cases.complaints import open_for_complaint as open_case  # builds on this

    item = _open(session, FollowUp(hall_id=complaint.hall_id, kind="complaint",
                                   complaint_id=complaint.id), "system", days,
                 complaint.created_at or utcnow())
    open_case(session, complaint)
    return item
