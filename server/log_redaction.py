"""Keep bearer tokens out of the logs.

A phone page (``/t/<token>``) and a comment form (``/c/<token>``) are opened by whoever
holds their token, so an access log line holding it hands the page to anyone who reads
the log. Paths are logged with those tokens, and any ``...token=`` query value, replaced
by ``***``. Typed usernames are masked where they are logged (sign_in.mask_username).
"""

from __future__ import annotations

import logging
import re

# /t/<token>, /c/<token>, /r/<code> (and what follows them: /t/<token>/status, /t/<token>/rating).
_PATH_TOKEN = re.compile(r"(/[tcr]/)[^/?#\s\"]+")
# ?token=..., &login_token=..., whatever the case.
_QUERY_TOKEN = re.compile(r"([?&][^=&\s\"]*token=)[^&#\s\"]*", re.IGNORECASE)


# What every text holding a token contains (case-insensitive for the query): most log lines
# (every API request's) hold none of them and are left alone without running the patterns.
_MARKS = ("/t/", "/c/", "/r/")


def redact(text: str) -> str:
    """text with page tokens and token query values replaced by ***."""
    if not any(mark in text for mark in _MARKS) and "token=" not in text.lower():
        return text
    return _QUERY_TOKEN.sub(r"\1***", _PATH_TOKEN.sub(r"\1***", text))


class TokenRedactor(logging.Filter):
    """Rewrites a record's text arguments (uvicorn's access line: client, method, path,
    version, status) with the tokens removed; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg
                                for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


ACCESS_LOGGER = "uvicorn.access"


def install() -> None:
    """Put the redactor on uvicorn's access log (once per process)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, TokenRedactor) for existing in logger.filters):
        logger.addFilter(TokenRedactor())
