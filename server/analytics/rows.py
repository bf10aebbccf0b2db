"""The dashboard's figures as plain objects, shared by the page, the charts and the exports.
Times are in minutes; shares are fractions (0..1) or None when there is nothing to divide."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from server.ratings.rules import LEVELS


def share(part: float, whole: float) -> float | None:
    """part / whole, or None when whole is 0."""
    return part / whole if whole else None


@dataclass
class QueueRow:
    """Queue figures of one service, or of the whole hall."""

    label: str
    target_wait: int | None  # minutes
    service_id: int | None = None  # None for the whole hall
    tickets: int = 0
    called: int = 0
    finished: int = 0
    no_show: int = 0
    over_target: int = 0  # called after waiting longer than the service's target
    wait_total: float = 0.0  # seconds, over called tickets
    service_total: float = 0.0  # seconds, over finished tickets
    wait_p90: float | None = None
    service_p90: float | None = None

    def add(self, tickets: int, called: int, finished: int, no_show: int, over_target: int,
            wait_total: float, service_total: float) -> None:
        """Add one group's counts and sums."""
        self.tickets += tickets
        self.called += called
        self.finished += finished
        self.no_show += no_show
        self.over_target += over_target
        self.wait_total += wait_total
        self.service_total += service_total

    @property
    def wait_avg(self) -> float | None:
        """Average waiting time of called tickets, minutes."""
        value = share(self.wait_total, self.called)
        return None if value is None else value / 60

    @property
    def service_avg(self) -> float | None:
        """Average service time of finished tickets, minutes."""
        value = share(self.service_total, self.finished)
        return None if value is None else value / 60

    @property
    def over_target_share(self) -> float | None:
        """Share of called tickets that waited longer than the target."""
        return share(self.over_target, self.called)

    @property
    def no_show_rate(self) -> float | None:
        """Share of the tickets issued that were called and never came (过号)."""
        return share(self.no_show, self.tickets)


@dataclass
class HourRow:
    """Tickets taken in one local hour, by service id."""

    hour: int
    by_service: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Tickets of every service in the hour."""
        return sum(self.by_service.values())


@dataclass
class RatingRow:
    """Ratings by level (5 非常满意 .. 1 非常不满意) of a window, a staff member or the hall."""

    label: str
    levels: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    order: int = 0

    @property
    def total(self) -> int:
        """Ratings of every level."""
        return sum(self.levels.values())

    @property
    def satisfied(self) -> float | None:
        """Share of 非常满意 and 满意."""
        return share(self.levels[5] + self.levels[4], self.total)

    @property
    def bad(self) -> int:
        """不满意 and 非常不满意: each opened a follow-up."""
        return self.levels[2] + self.levels[1]


@dataclass
class BandRow:
    """Ratings of tickets that waited within a band of minutes."""

    label: str
    ratings: int
    satisfied: int

    @property
    def rate(self) -> float | None:
        """Satisfaction rate: share of levels 4 and 5."""
        return share(self.satisfied, self.ratings)


@dataclass
class OverdueRow:
    """A follow-up work item past its due date and not closed."""

    id: int
    kind: str  # rating, complaint
    state: str
    due_on: dt.date
    days_late: int  # calendar days past the due date
    window: str
    staff: str
    opened: dt.date


@dataclass
class CountRow:
    """A label and how often: a complaint category, a guide, a search text."""

    label: str
    count: int
    key: str = ""


@dataclass
class UnansweredRow:
    """A question wording the terminals had no confident answer to: how often it was asked
    in the range and when last (local time)."""

    question: str
    count: int
    last_seen: dt.datetime


@dataclass
class Figures:
    """Everything the dashboard shows for a hall and a range of local days."""

    hall: str
    start: dt.date
    end: dt.date
    today: dt.date
    services: list[QueueRow]
    total: QueueRow
    hours: list[HourRow]
    ratings: RatingRow
    by_window: list[RatingRow]
    by_staff: list[RatingRow]
    excluded: int  # ratings overturned on appeal, counted nowhere
    bands: list[BandRow]
    follow_ups: dict[str, int]  # state -> work items opened in the range
    overdue: list[OverdueRow]  # the oldest first, at most OVERDUE_LISTED
    overdue_total: int
    complaints: list[CountRow]
    guides: list[CountRow]
    searches: int
    searches_empty: int
    wanted: list[CountRow]  # searches that found nothing, grouped by text
    unanswered_total: int = 0  # questions with no confident answer
    unanswered: list[UnansweredRow] = field(default_factory=list)  # most frequent wordings
