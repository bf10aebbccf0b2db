"""What a case is: its kinds and states, the steps between them, the deadlines, the
messages a visitor reads by default, and the case code.

Deadlines are in working days (weekends and the holiday calendar skipped): from the day
the visitor submitted, the days to accept (初审) by kind; from acceptance, the days to
finish. A case waiting for the visitor's materials (需补正) is not overdue.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy import ColumnElement, and_

from protocol.personal import mask_phone
from server.cases.models import Case
from server.models import User, utcnow
from server.queue.hours import local_day

KINDS: dict[str, tuple[str, str]] = {
    "legal_aid": ("法律援助申请", "Legal aid application"),
    "callback": ("咨询回电", "Call-back request"),
    "mediation": ("人民调解申请", "Mediation application"),
    "complaint": ("投诉建议", "Complaint or suggestion"),
}
STATES: dict[str, tuple[str, str]] = {
    "submitted": ("已提交", "Submitted"),
    "accepted": ("已受理", "Accepted"),
    "needs_more": ("需补正", "More needed"),
    "transferred": ("已转办", "Transferred"),
    "closed": ("已办结", "Closed"),
}
# Working days from submission to acceptance (初审), and from acceptance to the end.
ACCEPT_DAYS = {"legal_aid": 7, "callback": 1, "mediation": 3, "complaint": 5}
FINISH_DAYS = {"legal_aid": 15, "callback": 2, "mediation": 30, "complaint": 10}
# Step -> (states it may start from, state after it).
STEPS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({"submitted", "needs_more", "transferred"}), "accepted"),
    "needs_more": (frozenset({"submitted", "accepted", "transferred"}), "needs_more"),
    "transfer": (frozenset({"submitted", "accepted", "needs_more", "transferred"}),
                 "transferred"),
    "close": (frozenset({"accepted", "needs_more", "transferred"}), "closed"),
}
STEP_NAMES = {"accept": ("受理", "Accept"), "needs_more": ("需补正", "Ask for more"),
              "transfer": ("转办", "Transfer"), "close": ("办结", "Close")}
# What the visitor reads when staff leave the message empty.
DEFAULT_MESSAGES = {
    "submitted": "您的申请已提交，我们将在期限内处理。",
    "accepted": "您的申请已受理，正在办理。",
    "transferred": "您的事项已转交{target}办理。",
    "closed": "您的事项已办结。",
}
DEFAULT_MESSAGES_EN = {
    "submitted": "Your application is in; we will deal with it within the time limit.",
    "accepted": "Your application is accepted and being handled.",
    "transferred": "Your matter was passed on to {target}.",
    "closed": "Your matter is done.",
}
# The fields of an application's details, as the console names them.
DETAIL_NAMES = {
    "facts": "自测情况", "other_party": "对方当事人", "economic": "经济困难说明",
    "pledge": "个人诚信承诺", "materials": "尚需携带的材料", "question": "咨询问题",
    "window": "回电时段", "ticket": "法律援助窗口取号", "result": "办理结果",
}
HANDLERS = ("staff", "supervisor")
ELSEWHERE = ("complaint",)  # kinds worked in their own workflow (差评回访与投诉)
WAITING_FOR_VISITOR = ("needs_more",)
# 12 digits, read as 1234-5678-9012: typed on the terminal's number keypad, 10^12 codes,
# valid for as long as the case lives; guessing is rate-limited.
CODE_ALPHABET = "0123456789"
CODE_LENGTH = 12
CODE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,40}$")
KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")


def new_code() -> str:
    """A fresh case code (CODE_LENGTH digits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_token() -> str:
    """A fresh phone page token."""
    return secrets.token_urlsafe(18)


def shown_code(code: str) -> str:
    """A code as people read it: 1234-5678-9012."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def typed_code(text: str) -> str | None:
    """A code as typed (dashes, spaces) in its stored form; None if it cannot be one."""
    code = re.sub(r"[\s\-]", "", text)
    return code if CODE.match(code) else None


def actor_of(user: User) -> str:
    """How a staff member is named in the audit trail."""
    return f"{user.role}:{user.username}"


def today(now: dt.datetime | None = None) -> dt.date:
    """Today in the halls' local time."""
    return dt.date.fromisoformat(local_day(now or utcnow()))


def is_overdue(case: Case, on: dt.date | None = None) -> bool:
    """Not closed, not waiting for the visitor, and its due date before `on` (today)."""
    return (case.state != "closed" and case.state not in WAITING_FOR_VISITOR
            and case.due_on < (on or today()))


def overdue_clause(on: dt.date | None = None) -> ColumnElement[bool]:
    """The SQL condition of is_overdue."""
    return and_(Case.state.not_in(("closed", *WAITING_FOR_VISITOR)),
                Case.due_on < (on or today()))


def masked_phone(case: Case) -> str:
    """The case's phone number masked (138****5678)."""
    return mask_phone(case.phone) if case.phone else ""
