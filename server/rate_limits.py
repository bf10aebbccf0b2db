"""Limits on anonymous writes (complaints, comments, phone-page ratings, enrolment requests,
later bookings), counted in the database so every server process counts together.

A write is counted in one or more buckets, typically the client's address and the hall
(``complaint:address:10.0.0.7``, ``complaint:hall:XA01``). Each admitted write is a row
of its own in ``rate_hit``, never a counter changed in place, as failed sign-ins are in
``login_failure`` (server/security.py): processes writing at the same moment each insert
a row and no count is lost. A write is admitted when, after its own rows are committed,
no bucket holds more than its limit within the window; otherwise its rows are taken back
and it is refused with the seconds until the oldest counted write leaves the window.
Two racing writes may both be refused, never both admitted past the limit.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from server.errors import ServiceError
from server.models import RateHit, utcnow
from server.settings import ServerSettings

log = logging.getLogger(__name__)
PRUNE_SECONDS = 10.0  # how often a process deletes hits older than the longest window
BUCKET_MAX = 120  # rate_hit.bucket


def seconds_until_below(session: Session, moment: InstrumentedAttribute[dt.datetime],
                        condition: ColumnElement[bool], limit: int, window: float,
                        now: dt.datetime) -> float:
    """Seconds until fewer than limit rows matching condition have `moment` within the
    window; 0 when there are fewer already. Shared by the sign-in throttle."""
    times = session.scalars(
        select(moment).where(condition, moment > now - dt.timedelta(seconds=window))
        .order_by(moment.desc()).limit(limit)).all()
    if len(times) < limit:
        return 0.0
    oldest = times[-1] if times[-1].tzinfo else times[-1].replace(tzinfo=dt.UTC)
    return (oldest - now).total_seconds() + window


def retry_seconds(wait: float) -> int:
    """A wait in seconds as a whole Retry-After: 0 stays 0, anything else rounds up."""
    return max(1, int(wait) + 1) if wait > 0 else 0


@dataclass(frozen=True)
class Limit:
    """At most `limit` writes counted in `bucket` within `window` seconds."""

    bucket: str
    limit: int
    window: float


class RateLimited(ServiceError):
    """Too many writes of one kind from an address or for a hall; retry after some seconds."""

    MESSAGES = {
        "rate_limited": (429, "提交过于频繁，请{minutes}分钟后再试。",
                         "Too many submissions; please try again in {minutes} min."),
    }

    def __init__(self, retry_after: int):
        super().__init__("rate_limited", f"retry in {retry_after} s",
                         minutes=max(1, -(-retry_after // 60)))
        self.retry_after = retry_after

    @property
    def both(self) -> str:
        """The Chinese and the English message, for a page a visitor reads."""
        return f"{self.message_zh} {self.message_en}"


class RateLimiter:
    """Admits or refuses anonymous writes by their buckets' counts in the database; one per
    application, remembering when it last pruned old rows."""

    def __init__(self, *, prune_every: float = PRUNE_SECONDS, keep: float = 86400.0):
        self.prune_every, self.keep = prune_every, keep
        self._pruned_at = -prune_every  # monotonic time of the last prune

    def admit(self, session: Session, limits: Sequence[Limit]) -> None:
        """Count one write in every bucket of limits, or raise RateLimited, counting
        nothing, when any bucket is over its limit. Commits the session (on the request's
        own connection, so a request never holds two): call it before the write it guards."""
        limits = [Limit(item.bucket[:BUCKET_MAX], item.limit, item.window) for item in limits]
        now = utcnow()
        hits = [RateHit(bucket=item.bucket, hit_at=now) for item in limits]
        session.add_all(hits)
        session.flush()
        ids = [hit.id for hit in hits]
        if time.monotonic() - self._pruned_at >= self.prune_every:
            self._pruned_at = time.monotonic()
            session.execute(delete(RateHit).where(
                RateHit.hit_at <= now - dt.timedelta(seconds=self.keep)))
        session.commit()
        # Counted after our own rows are in: every write sees all the writes before it.
        wait = max(seconds_until_below(session, RateHit.hit_at, RateHit.bucket == item.bucket,
                                       item.limit + 1, item.window, now) for item in limits)
        if wait <= 0:
            return
        session.execute(delete(RateHit).where(RateHit.id.in_(ids)))
        session.commit()
        log.warning("anonymous write refused: over the limit of %s",
                    ", ".join(item.bucket for item in limits))
        raise RateLimited(retry_seconds(wait))


def rate_limiter(request: Request) -> RateLimiter:
    """The application's limiter on its database (shared with the other processes)."""
    state = request.app.state
    if not hasattr(state, "rate_limiter"):
        state.rate_limiter = RateLimiter()
    limiter: RateLimiter = state.rate_limiter
    return limiter


def client_address(request: Request) -> str:
    """The client's address (the one a trusted proxy forwards); "" when unknown."""
    return request.client.host if request.client else ""


def anonymous_limits(settings: ServerSettings, action: str, address: str,
                     hall: str | None) -> list[Limit]:
    """The limits of one anonymous action: per client address and, when it is for one,
    per hall (by its code)."""
    window = settings.anonymous_write_window
    limits = [Limit(f"{action}:address:{address}", settings.anonymous_writes_per_address,
                    window)]
    if hall is not None:
        limits.append(Limit(f"{action}:hall:{hall}", settings.anonymous_writes_per_hall,
                            window))
    return limits


def admit_anonymous(request: Request, session: Session, action: str, hall: str | None
                    ) -> None:
    """Count one anonymous `action` from the request's client (for hall, by code) on the
    request's session (committed), or raise RateLimited."""
    settings: ServerSettings = request.app.state.settings
    rate_limiter(request).admit(session, anonymous_limits(
        settings, action, client_address(request), hall))
