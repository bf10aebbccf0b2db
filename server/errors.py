"""The one base of the refusals domain services raise; routers map them to responses."""

from __future__ import annotations

from typing import ClassVar


class ServiceError(Exception):
    """A refusal: ``code`` for programs, a Chinese and an English message for people, and
    the HTTP status a router should answer with. Subclasses list their codes in MESSAGES
    as code -> (status, Chinese, English); the messages may name ``{fields}``."""

    MESSAGES: ClassVar[dict[str, tuple[int, str, str]]] = {}

    def __init__(self, code: str, detail: str = "", **fields: object):
        status, chinese, english = self.MESSAGES[code]
        self.code, self.status, self.detail = code, status, detail
        self.message_zh, self.message_en = chinese.format(**fields), english.format(**fields)
        super().__init__(f"{code}: {self.message_en}" + (f" ({detail})" if detail else ""))

    @property
    def message(self) -> str:
        """The Chinese message, the one pages and the terminals show."""
        return self.message_zh

    def as_json(self) -> dict[str, str]:
        """The error as an API response body."""
        body = {"error": self.code, "message": self.message_zh, "message_en": self.message_en}
        if self.detail:  # not "detail": clients read that as the whole message
            body["about"] = self.detail
        return body
