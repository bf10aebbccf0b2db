"""Rating rules: levels, reasons by level, who and what a rating is bound to, due dates.

National 好差评 (国办发〔2019〕51号, GB/T 39734-2020): five levels; on site one rating
per service (一次一评); reasons are offered according to the level chosen; rating
is voluntary. A bad rating (不满意, 非常不满意) must be followed up within a number
of working days set locally (default 5), skipping weekends and holidays.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.errors import ServiceError
from server.models import Hall, utcnow
from server.queue.models import Ticket
from server.ratings.models import Rating
from server.settings import SettingsError

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
LEVELS_EN = {5: "Very satisfied", 4: "Satisfied", 3: "Fairly satisfied", 2: "Dissatisfied",
             1: "Very dissatisfied"}
BAD_LEVELS = (1, 2)
# Reasons offered for each level, after the four offline indicators (整体满意度, 服务效率,
# 服务水平, 服务态度); a province may replace them.
DEFAULT_REASONS: dict[int, tuple[str, ...]] = {
    5: ("办事效率高", "服务态度好", "业务水平高", "指引清楚"),
    4: ("办事效率高", "服务态度好", "业务水平高", "指引清楚"),
    3: ("等候时间较长", "材料要求不够清楚", "服务态度一般"),
    2: ("等候时间过长", "服务态度差", "业务不熟练", "材料要求不清楚", "多次跑腿"),
    1: ("等候时间过长", "服务态度差", "业务不熟练", "材料要求不清楚", "多次跑腿", "推诿扯皮"),
}
# The four offline indicators: the level chosen is the 整体满意度; each reason speaks to
# one of the other three.
INDICATORS = ("整体满意度", "服务效率", "服务水平", "服务态度")
DEFAULT_REASON_INDICATOR = {
    "办事效率高": "服务效率", "等候时间较长": "服务效率", "等候时间过长": "服务效率",
    "多次跑腿": "服务效率", "业务水平高": "服务水平", "业务不熟练": "服务水平",
    "指引清楚": "服务水平", "材料要求不够清楚": "服务水平", "材料要求不清楚": "服务水平",
    "服务态度好": "服务态度", "服务态度一般": "服务态度", "服务态度差": "服务态度",
    "推诿扯皮": "服务态度",
}
# What an English visitor reads for each default reason (the Chinese stays the stored value).
DEFAULT_REASONS_EN = {
    "办事效率高": "Quick and efficient", "服务态度好": "Friendly staff",
    "业务水平高": "Knowledgeable staff", "指引清楚": "Clear directions",
    "等候时间较长": "Rather long wait", "材料要求不够清楚": "Materials needed not quite clear",
    "服务态度一般": "Staff attitude only fair", "等候时间过长": "Waited too long",
    "服务态度差": "Unfriendly staff", "业务不熟练": "Staff did not know the procedure",
    "材料要求不清楚": "Materials needed were unclear",
    "多次跑腿": "Had to come back several times",
    "推诿扯皮": "Passed from one person to another",
}
COMMENT_MAX = 500
SOURCES = ("pad", "terminal", "phone")
DEFAULT_FOLLOW_UP_DAYS = 5
KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")


class CodedError(ServiceError):
    """A refusal of a rating, complaint or comment (see ServiceError)."""

    def as_json(self) -> dict[str, str]:
        """The refusal body the rating API has always sent, and its English (the phone page
        of an English visitor shows it)."""
        return {"error": self.code, "message": self.message_zh, "message_en": self.message_en}


class RatingError(CodedError):
    """A rating that cannot be stored."""

    MESSAGES = {
        "bad_level": (422, "请选择五个等级中的一个。", "Choose one of the five levels."),
        "bad_reason": (422, "所选原因不属于该评价等级。",
                       "A reason chosen is not offered for that level."),
        "comment_too_long": (422, f"留言不能超过{COMMENT_MAX}个字。",
                             f"A comment has at most {COMMENT_MAX} characters."),
        "not_finished": (409, "该号码尚未办结，办结后才能评价。",
                         "The ticket is not finished; rate it once it is."),
        "already_rated": (409, "该号码已经评价过了，每次服务只能评价一次。",
                          "The ticket has been rated; one rating per service."),
        "unknown_ticket": (404, "没有找到这个号码。", "No such ticket."),
        "bad_source": (422, "评价来源无效。", "Unknown rating source."),
        "bad_key": (422, "请求编号无效。", "Malformed request key."),
    }


def add_working_days(start: dt.date, days: int, holidays: Iterable[dt.date] = (),
                     workdays: Iterable[dt.date] = ()) -> dt.date:
    """The date `days` working days after start: weekends and holidays skipped, adjusted
    working weekend days (调休上班, in workdays) counted."""
    off, on = set(holidays), set(workdays)
    current, left = start, days
    while left > 0:
        current += dt.timedelta(days=1)
        working = (current.weekday() < 5 or current in on) and current not in off
        if working:
            left -= 1
    return current


class ReasonsError(SettingsError):
    """A province's reasons file that cannot be used, with the reason."""


@dataclass(frozen=True)
class RatingReasons:
    """The reasons offered for each level and the indicator each speaks to: the national
    defaults, or a province's file (settings.rating_reasons). Each application keeps its
    own on app.state, so two applications in one process do not share them."""

    reasons: Mapping[int, tuple[str, ...]]
    indicator: Mapping[str, str]
    english: Mapping[str, str] = field(default_factory=dict)  # reason -> what English reads

    @classmethod
    def load(cls, path: Path | None) -> RatingReasons:
        """The reasons of a province's YAML file (None: the national defaults).

        The file maps each level (1-5) to its reasons, each with the indicator it speaks
        to and, optionally, its English: ``2: [{reason: 等候时间过长, indicator: 服务效率,
        reason_en: Waited too long}, ...]``.
        """
        if path is None:
            return NATIONAL_REASONS
        try:
            data = yaml.safe_load(path.read_text("utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise ReasonsError(f"{path}: {error}") from None
        if not isinstance(data, dict) or set(data) != set(LEVELS):
            raise ReasonsError(f"{path}: give the reasons of each level 1 to 5")
        reasons: dict[int, tuple[str, ...]] = {}
        indicator: dict[str, str] = {}
        english: dict[str, str] = {}
        for level, items in data.items():
            if not isinstance(items, list):
                raise ReasonsError(f"{path}: level {level}: a list of reasons")
            for item in items:
                if (not isinstance(item, dict) or not str(item.get("reason", "")).strip()
                        or item.get("indicator") not in INDICATORS[1:]):
                    raise ReasonsError(f"{path}: level {level}: each reason needs a text and "
                                       f"one of the indicators {', '.join(INDICATORS[1:])}")
                indicator[str(item["reason"]).strip()] = str(item["indicator"])
                if str(item.get("reason_en") or "").strip():
                    english[str(item["reason"]).strip()] = str(item["reason_en"]).strip()
            reasons[int(level)] = tuple(str(item["reason"]).strip() for item in items)
        return cls(reasons, indicator, english)

    def by_indicator(self, level: int, reasons: Iterable[str]) -> dict[str, Any]:
        """A rating on the four offline indicators: the level as 整体满意度, the reasons
        under the indicator each speaks to."""
        grouped: dict[str, Any] = {INDICATORS[0]: LEVELS[level]}
        for reason in reasons:
            grouped.setdefault(self.indicator.get(reason, INDICATORS[0] + "原因"),
                               []).append(reason)
        return grouped


NATIONAL_REASONS = RatingReasons(DEFAULT_REASONS, DEFAULT_REASON_INDICATOR, DEFAULT_REASONS_EN)


def check(level: int, reasons: list[str], comment: str, source: str,
          offered: RatingReasons = NATIONAL_REASONS) -> None:
    """Raise RatingError unless level, reasons (of those offered), comment and source are
    acceptable."""
    if level not in LEVELS:
        raise RatingError("bad_level")
    if any(reason not in offered.reasons[level] for reason in reasons) or len(set(reasons)) != len(
            reasons):
        raise RatingError("bad_reason")
    if len(comment) > COMMENT_MAX:
        raise RatingError("comment_too_long")
    if source not in SOURCES:
        raise RatingError("bad_source")


def _keyed(session: Session, terminal_id: int | None, idempotency_key: str) -> Rating | None:
    """The rating terminal_id sent with idempotency_key, if any (a key is its terminal's)."""
    return session.scalars(select(Rating).where(
        Rating.terminal_id == terminal_id, Rating.idempotency_key == idempotency_key)).first()


def rate(session: Session, hall: Hall, *, level: int, reasons: list[str] | None = None,
         comment: str = "", source: str, ticket: Ticket | None = None,
         idempotency_key: str | None = None, terminal_id: int | None = None,
         follow_up_days: int = DEFAULT_FOLLOW_UP_DAYS,
         offered: RatingReasons = NATIONAL_REASONS, at: dt.datetime | None = None,
         received_at: dt.datetime | None = None) -> tuple[Rating, bool]:
    """Store a rating (flushed, not committed): (rating, True), or the one already stored
    for idempotency_key and False. A ticket must be finished and not rated yet. A bad
    rating opens its follow-up work item in the same transaction, due counted from `at`
    (when the visitor rated, already bounded; default: now, also for received_at)."""
    from server.ratings.followup import open_for_rating  # followup builds on these rules

    reasons = list(reasons or [])
    if idempotency_key is not None and not KEY.match(idempotency_key):
        raise RatingError("bad_key")
    if idempotency_key:
        existing = _keyed(session, terminal_id, idempotency_key)
        if existing is not None:
            return existing, False
    check(level, reasons, comment.strip(), source, offered)
    if ticket is not None:
        if ticket.hall_id != hall.id:
            raise RatingError("unknown_ticket")
        if ticket.state != "finished":
            raise RatingError("not_finished")
        if session.scalar(select(Rating.id).where(Rating.ticket_id == ticket.id)) is not None:
            raise RatingError("already_rated")
    rating = Rating(hall_id=hall.id, ticket_id=ticket.id if ticket else None,
                    service_id=ticket.service_id if ticket else None,
                    window_id=ticket.window_id if ticket else None,
                    staff_id=ticket.staff_id if ticket else None, level=level, reasons=reasons,
                    comment=comment.strip(), source=source, terminal_id=terminal_id,
                    idempotency_key=idempotency_key)
    rating.received_at = received_at or utcnow()
    rating.created_at = at or rating.received_at
    try:
        with session.begin_nested():  # a savepoint: the caller's transaction survives
            session.add(rating)
            session.flush()
    except IntegrityError:  # the same ticket or request at the same moment elsewhere
        if idempotency_key:
            existing = _keyed(session, terminal_id, idempotency_key)
            if existing is not None:
                return existing, False
        raise RatingError("already_rated") from None
    open_for_rating(session, rating, follow_up_days)
    return rating, True
