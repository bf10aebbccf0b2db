"""Personal data a visitor types: phone numbers read one way everywhere, and names and
numbers masked before a public page or a log shows them (张*, 138****5678)."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-()（）.]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0[1-9]\d{8,10}$")  # area code 0XX or 0XXX, then 7 or 8 digits


def normalise_phone(text: str) -> str | None:
    """A mobile number (11 digits) or a landline with its area code, with spaces, dashes,
    brackets and a leading +86 / 0086 / 86 removed; None when it is neither."""
    digits = _SEPARATORS.sub("", text.strip())
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
            break
    else:
        if len(digits) == 13 and digits.startswith("86") and _MOBILE.match(digits[2:]):
            digits = digits[2:]
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    return None


def mask_phone(phone: str) -> str:
    """A phone number with its middle hidden: 138****5678, 0871******56."""
    mobile = len(phone) == 11 and phone.startswith("1")
    keep, tail = (3, 4) if mobile else (4, 2)
    if len(phone) <= keep + tail:
        return "*" * len(phone)
    return phone[:keep] + "*" * (len(phone) - keep - tail) + phone[-tail:]


def mask_name(name: str) -> str:
    """A name with only its first character shown: 张*."""
    name = name.strip()
    return name[:1] + "*" if name else ""
