"""Text on the wire holds no NUL characters.

PostgreSQL refuses a NUL in any text value (and turns a ``\\u0000`` in JSON into an error
when a query reads it as text), SQLite stores it: left alone, the same request is kept on
one database and answers 500 on the other. So text people send (complaints, comments,
the ledger, follow-up notes, enrolment fields, sign-in) is refused with a clear message
(``RefusesNul``), and what a terminal reports on its own (heartbeats, acknowledgements,
outbox payloads) has its NULs dropped (``without_nul``), since refusing it would stall the
terminal on an item nobody can fix.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, model_validator

NUL = "\x00"
NUL_MESSAGE_ZH = "文本中含有空字符（NUL），无法保存，请删除后重新提交。"
NUL_MESSAGE_EN = "The text contains a NUL character and cannot be stored; remove it and try again."
NUL_MESSAGE = f"{NUL_MESSAGE_ZH} {NUL_MESSAGE_EN}"


def contains_nul(value: Any) -> bool:
    """Whether a text, or any key or text inside lists and mappings, holds a NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False


def without_nul(value: Any) -> Any:
    """value with every NUL removed from its texts, keys and nested texts."""
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_nul(v) for v in value]
    return value


class RefusesNul(BaseModel):
    """A base for bodies carrying what people typed: any NUL anywhere in the body is
    refused (a validation error, so a 422 naming the field)."""

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        if contains_nul(data):
            raise ValueError(NUL_MESSAGE)
        return data


class DropsNul(BaseModel):
    """A base for what a terminal reports on its own: NULs are dropped, never refused."""

    @model_validator(mode="before")
    @classmethod
    def _drop_nul(cls, data: Any) -> Any:
        return without_nul(data)
