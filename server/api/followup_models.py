"""The follow-up API's replies (the staff console reads them; terminals never do).

Times are the ISO strings server/ratings/followup_views.py writes. The models allow
fields they do not name, so a field added to a view reaches the console before it is
described here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class ConsoleReply(BaseModel):
    """A reply to the staff console."""

    model_config = ConfigDict(extra="allow")


class Person(ConsoleReply):
    """A staff member or supervisor."""

    id: int
    username: str
    name: str
    staff_no: str | None = None


class Handler(Person):
    """Someone an item can be assigned to."""

    role: str


class ItemFields(ConsoleReply):
    """What the list and the detail of a follow-up both say about it."""

    id: int
    kind: str
    kind_name: str
    state: str
    state_name: str
    due_on: str
    overdue: bool
    created_at: str | None


class ItemRow(ItemFields):
    """A follow-up in the list."""

    subject: str
    level: int | None
    summary: str
    ticket: str | None
    window: int | None
    staff: Person | None
    assignee: Person | None
    appeal_decision: str | None = None


class ItemList(ConsoleReply):
    """GET /api/v1/followups: one page of items, the counts per state and today."""

    items: list[ItemRow]
    total: int
    page: int
    page_size: int
    counts: dict[str, int]
    today: str


class RatingDetail(ConsoleReply):
    """The rating an item follows up."""

    id: int
    level: int
    level_name: str
    reasons: list[str]
    comment: str
    source: str
    created_at: str | None
    ticket: dict[str, str] | None
    service: str | None
    window: dict[str, Any] | None
    staff: Person | None


class ComplaintDetail(ConsoleReply):
    """The complaint an item follows up."""

    id: int
    category: str
    category_name: str
    kind: str
    phone: str
    content: str
    source: str
    created_at: str | None


class ItemEvent(ConsoleReply):
    """A step of an item's audit trail."""

    kind: str
    kind_name: str
    at: str | None
    actor: str
    note: str
    detail: dict[str, Any]


class ItemView(ItemFields):
    """One item with its rating or complaint, its trail and the steps the user may take."""

    assignee: Person | None
    visit_note: str | None
    visited_at: str | None
    resolution: str | None
    closed_at: str | None
    appeal_reason: str | None
    appeal_decision: str | None
    appeal_decision_name: str
    excluded: bool
    rating: RatingDetail | None
    complaint: ComplaintDetail | None
    events: list[ItemEvent]
    steps: list[str]
    handlers: list[Handler] | None = None


class FollowUpState(ConsoleReply):
    """A bad rating's follow-up, as its staff member sees it."""

    id: int
    state: str
    state_name: str
    appeal_reason: str | None
    appeal_decision: str | None
    appeal_decision_name: str
    can_appeal: bool


class MyRating(RatingDetail):
    """A rating bound to the signed-in staff member."""

    follow_up: FollowUpState | None


class MyRatings(ConsoleReply):
    """GET /api/v1/followups/my-ratings: one page of them, and how many in all."""

    ratings: list[MyRating]
    total: int = 0
    bad_total: int = 0
    page: int = 1
    page_size: int = 50


class CalendarDay(ConsoleReply):
    """A holiday (off) or an adjusted working day."""

    day: str
    off: bool
    name: str


class CalendarYear(ConsoleReply):
    """GET /api/v1/calendar: the special days of a year."""

    year: int
    days: list[CalendarDay]


class CalendarCleared(ConsoleReply):
    """A day made ordinary again."""

    day: str
    cleared: bool


class CalendarImported(ConsoleReply):
    """How many days an import wrote."""

    days: int


class ComplaintStored(ConsoleReply):
    """The online complaint as stored."""

    id: int
    category: str
    category_name: str
    kind: str


class ApiRefusal(ConsoleReply):
    """A refusal: a code and the reason in Chinese."""

    error: str
    message: str
