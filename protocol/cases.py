"""Cases (一案一码) on the wire: the terminal's progress look-up (办事进度查询) and its
reply, and the applications a terminal sends through its outbox (a call-back request, a
legal-aid pre-application), made with the case code the receipt already shows."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from pydantic import AwareDatetime, ConfigDict, Field, field_validator

from protocol.feedback import claimed_time
from protocol.phone import PHONE_MAX_INPUT
from protocol.queue import Reply, Request
from protocol.text import RefusesNul

CODE_LENGTH = 12
CODE = re.compile(r"^\d{12}$")


def new_case_code() -> str:
    """A fresh case code: 12 random digits (the server's alphabet and length)."""
    return "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))


def new_case_token() -> str:
    """A fresh phone page token for a case."""
    return secrets.token_urlsafe(18)


def shown_case_code(code: str) -> str:
    """A case code as people read it: 1234-5678-9012."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


class ProgressRequest(Request):
    """POST /api/v1/cases/progress: 办事进度查询 with the case code, and the phone number
    when the visitor gives it."""

    code: str = Field(min_length=1, max_length=20)
    phone: str = Field("", max_length=PHONE_MAX_INPUT)


class ProgressStep(Reply):
    """One step of a case as its visitor reads it."""

    state: str
    state_name: str
    state_name_en: str = ""
    at: AwareDatetime
    message: str = ""


class CaseProgress(Reply):
    """A case as its visitor sees it; name and phone masked (张*, 138****5678)."""

    code: str  # as shown, 1234-5678-9012
    kind: str
    kind_name: str
    kind_name_en: str = ""
    state: str
    state_name: str
    state_name_en: str = ""
    hall_name: str = ""
    name: str = ""
    phone: str = ""
    matter: str = ""
    due_on: dt.date | None = None
    path: str  # the phone page (/case/<token>)
    steps: list[ProgressStep]


class CaseItem(RefusesNul):
    """An outbox item of kind "case": an application a visitor made at the terminal,
    with the code and token the terminal gave it (printed before it was delivered) and
    the time the visitor made it."""

    model_config = ConfigDict(extra="ignore")
    kind: str = Field(pattern=r"^(legal_aid|callback|mediation)$")
    code: str = Field(pattern=r"^\d{12}$")
    token: str = Field(pattern=r"^[A-Za-z0-9_-]{20,40}$")
    name: str = Field("", max_length=40)
    phone: str = Field("", max_length=PHONE_MAX_INPUT)
    matter: str = Field("", max_length=200)
    details: dict[str, Any] = Field(default_factory=dict)
    at: AwareDatetime | None = None

    _claimed = field_validator("at", mode="before")(claimed_time)
