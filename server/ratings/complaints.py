"""Complaints and suggestions (投诉建议) from terminals and online: checked, stored once,
each with a follow-up work item."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from protocol.personal import normalise_phone
from server.models import Hall, utcnow
from server.ratings.followup import open_for_complaint
from server.ratings.models import Complaint
from server.ratings.rules import DEFAULT_FOLLOW_UP_DAYS, KEY, CodedError

# Category key: Chinese label, English label.
CATEGORIES = {
    "attitude": ("服务态度", "Staff attitude"),
    "waiting": ("等候时间", "Waiting time"),
    "process": ("办事流程", "Procedures"),
    "environment": ("大厅环境与设施", "Hall and facilities"),
    "integrity": ("廉洁纪律", "Integrity"),
    "suggestion": ("意见建议", "Suggestion"),
    "other": ("其他", "Other"),
}
CONTENT_MAX = 1000
SOURCES = ("terminal", "online")


class ComplaintError(CodedError):
    """A complaint that cannot be stored."""

    MESSAGES = {
        "bad_category": (422, "请选择投诉建议的类别。", "Choose a category."),
        "bad_phone": (422, "请输入正确的手机号码或带区号的固定电话。",
                      "Give a mobile number or a landline with its area code."),
        "content_too_long": (422, f"内容不能超过{CONTENT_MAX}个字。",
                             f"The text has at most {CONTENT_MAX} characters."),
        "bad_source": (422, "来源无效。", "Unknown source."),
        "bad_key": (422, "请求编号无效。", "Malformed request key."),
    }


def _keyed(session: Session, hall: Hall, source: str, terminal_id: int | None,
           idempotency_key: str) -> Complaint | None:
    """The complaint this hall, source and terminal stored with idempotency_key, if any:
    a key never finds another hall's or another terminal's complaint."""
    return session.scalars(select(Complaint).where(
        Complaint.hall_id == hall.id, Complaint.source == source,
        Complaint.terminal_id == terminal_id,
        Complaint.idempotency_key == idempotency_key)).first()


def submit(session: Session, hall: Hall, *, category: str, phone: str = "", content: str = "",
           source: str, idempotency_key: str | None = None, terminal_id: int | None = None,
           follow_up_days: int = DEFAULT_FOLLOW_UP_DAYS, at: dt.datetime | None = None,
           received_at: dt.datetime | None = None) -> tuple[Complaint, bool]:
    """Store a complaint with its work item (flushed, not committed): (complaint, True), or
    the one already stored for idempotency_key and False. at is when the visitor submitted
    it (already bounded; default now, also for received_at): the work item is due from it."""
    if idempotency_key is not None and not KEY.match(idempotency_key):
        raise ComplaintError("bad_key")
    if idempotency_key:
        existing = _keyed(session, hall, source, terminal_id, idempotency_key)
        if existing is not None:
            return existing, False
    phone, content = phone.strip(), content.strip()
    if category not in CATEGORIES:
        raise ComplaintError("bad_category")
    if phone:  # mobile or landline, read as everywhere (protocol/personal.py)
        number = normalise_phone(phone)
        if number is None:
            raise ComplaintError("bad_phone")
        phone = number
    if len(content) > CONTENT_MAX:
        raise ComplaintError("content_too_long")
    if source not in SOURCES:
        raise ComplaintError("bad_source")
    complaint = Complaint(hall_id=hall.id, category=category,
                          kind="suggestion" if category == "suggestion" else "complaint",
                          phone=phone, content=content, source=source, terminal_id=terminal_id,
                          idempotency_key=idempotency_key)
    complaint.received_at = received_at or utcnow()
    complaint.created_at = at or complaint.received_at
    try:
        with session.begin_nested():
            session.add(complaint)
            session.flush()
    except IntegrityError:  # the same request at the same moment elsewhere
        existing = (_keyed(session, hall, source, terminal_id, idempotency_key)
                    if idempotency_key else None)
        if existing is None:  # another terminal's key: refused, its complaint not shown
            raise ComplaintError("bad_key") from None
        return existing, False
    open_for_complaint(session, complaint, follow_up_days)
    return complaint, True
