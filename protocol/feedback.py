"""Ratings (好差评), complaints and usage events on the wire.

What a terminal puts in its outbox carries the time the visitor acted (a rating's
rated_at, a complaint's at; for usage events the outbox item's created_at); the server
keeps that time, bounded against clock skew by acted_at, and the time the item was
delivered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import AwareDatetime, ConfigDict, Field, field_validator

from protocol.phone import PHONE_MAX_INPUT
from protocol.privacy import MAX_QUESTION, normalise_question
from protocol.queue import Reply
from protocol.text import RefusesNul

MAX_REASONS = 10
MAX_CLOCK_AHEAD = dt.timedelta(minutes=5)  # a terminal clock ahead by more is not believed


def claimed_time(value: Any) -> dt.datetime | None:
    """A time a terminal claims (ISO 8601 text), None when missing or unreadable: the item
    then counts from its delivery rather than being refused; a time without a zone is UTC."""
    if isinstance(value, str) and value:
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class _Payload(RefusesNul):
    # Lax about unknown fields: a newer terminal may send more than this server reads.
    model_config = ConfigDict(extra="ignore")


class RatingItem(_Payload):
    """An outbox item of kind "rating": a level for a ticket (by id or number) or the hall."""

    level: int = Field(ge=1, le=5)
    reasons: list[str] = Field(default_factory=list, max_length=MAX_REASONS)
    comment: str = ""
    source: str = Field("terminal", max_length=20)
    rated_at: AwareDatetime | None = None  # None: sent by a terminal of an older version
    ticket: int | None = Field(None, ge=1, le=2**31 - 1)
    ticket_number: str | None = Field(None, max_length=8)
    day: str = Field("", max_length=10)
    comment_token: str | None = Field(None, max_length=64)

    _claimed = field_validator("rated_at", mode="before")(claimed_time)


class ComplaintItem(_Payload):
    """An outbox item of kind "complaint": a category and an optional call-back number."""

    category: str = Field("", max_length=20)
    phone: str = Field("", max_length=PHONE_MAX_INPUT)  # as typed; normalised on arrival
    content: str = ""
    at: AwareDatetime | None = None  # when the visitor submitted it

    _claimed = field_validator("at", mode="before")(claimed_time)


class ScreenUsage(_Payload):
    """An outbox item of kind "usage.screen": a screen the visitor opened."""

    screen: str
    key: str | None = None
    language: str = ""


class SearchUsage(_Payload):
    """An outbox item of kind "usage.search": what a visitor searched and how many hits."""

    query: str
    results: int = Field(ge=0)
    language: str = ""


class UnansweredUsage(_Payload):
    """An outbox item of kind "usage.unanswered": a question asked in the visitor's own words
    that found no confident answer (text only, personal numbers masked by the terminal and
    again by the server), the language, and the best score of the answers below the
    threshold (0 when there were none)."""

    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    language: str = Field("", max_length=10)
    score: float = Field(0.0, ge=0, le=1e6, allow_inf_nan=False)

    @field_validator("question", mode="before")
    @classmethod
    def _normalised(cls, value: Any) -> Any:
        return normalise_question(value) if isinstance(value, str) else value


class RatingLevel(Reply):
    """One of the five levels with the reasons offered for it."""

    level: int = Field(ge=1, le=5)
    name: str
    name_en: str = ""
    reasons: list[str]
    # What an English visitor reads for each reason, in the same order ("" where none).
    reasons_en: list[str] = Field(default_factory=list)
    indicators: dict[str, str] = Field(default_factory=dict)


class RatingLevels(Reply):
    """GET /api/v1/ratings/levels: what a rating pad shows."""

    indicators: list[str]
    levels: list[RatingLevel]


class TicketToRate(Reply):
    """GET /api/v1/ratings/ticket/{number}: today's ticket that may be rated."""

    ticket: int
    number: str
    day: str
    service: str
    window: int | None = None


class TerminalRating(RefusesNul):
    """POST /api/v1/ratings: a rating sent directly (not through the outbox)."""

    model_config = ConfigDict(extra="forbid")
    level: int = Field(ge=1, le=5)
    reasons: list[str] = Field(default_factory=list, max_length=MAX_REASONS)
    comment: str = ""  # its length is checked by the rules, which say so in Chinese
    ticket_number: str | None = Field(None, min_length=2, max_length=8)
    source: str = Field("terminal", pattern="^(terminal|pad)$")
    idempotency_key: str = Field(min_length=8, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")


class RatingView(Reply):
    """A stored rating."""

    id: int
    level: int
    level_name: str
    reasons: list[str]
    ticket: int | None
    source: str


class Refusal(Reply):
    """A refused request: a code and the reason in Chinese."""

    error: str
    message: str = ""


def acted_at(claimed: dt.datetime | None, delivered: dt.datetime,
             not_before: dt.datetime | None = None) -> dt.datetime:
    """When the visitor acted: the terminal's claim, bounded against clock skew.

    More than five minutes after delivery is a fast clock (the delivery time is taken;
    less is ordinary drift and kept); before not_before (the ticket's issue) is a slow
    one (that time is taken); no claim at all is the delivery time. A time without a
    zone (SQLite drops it; the wire's created_at may lack it) is taken as UTC.
    """
    delivered = _utc(delivered)
    if claimed is None:
        return delivered
    claimed = _utc(claimed)
    if claimed > delivered + MAX_CLOCK_AHEAD:
        return delivered
    if not_before is not None and claimed < _utc(not_before):
        return min(_utc(not_before), delivered)
    return claimed


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
