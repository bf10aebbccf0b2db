"""One rule for the phone numbers people type: the 服务台账, complaints, follow-ups, and later
the terminal.

People write "138 1234 5678", "138-1234-5678", "+86 138…", "0086…", full-width digits from
a Chinese keyboard, or a landline as "(010) 1234 5678". All of these mean one number, and
it is stored in one form: a mobile as its 11 digits, a landline as ``0AA-NNNNNNNN`` (area
code, dash, local number), so a search or a call-back finds it however it was typed.
"""

from __future__ import annotations

import re
import unicodedata

PHONE_MAX_INPUT = 40  # what a form accepts as typed, before the separators are dropped
PHONE_MESSAGE_ZH = "请输入正确的手机号码或带区号的固定电话。"
PHONE_MESSAGE_EN = "Enter a mobile number or a landline with its area code."

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―()（）.·]")
_COUNTRY = re.compile(r"^(?:\+86|0086|86(?=1[3-9]\d{9}$))")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes 010 and 02x have three digits, all others four (the national numbering plan);
# local numbers have seven or eight digits.
_LANDLINE = re.compile(r"^(0[12]\d|0[3-9]\d{2})(\d{7,8})$")


def normalize_phone(text: str) -> str | None:
    """The number in its stored form; "" for an empty entry; None when it is no mobile or
    landline number (the caller refuses it with PHONE_MESSAGE_ZH)."""
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    if not compact:
        return ""
    national = _COUNTRY.sub("", compact)
    if national != compact and not _MOBILE.match(national):
        national = "0" + national  # +86 10 1234 5678: the area code loses its leading 0
    if _MOBILE.match(national):
        return national
    landline = _LANDLINE.match(national)
    if landline is None:
        return None
    return f"{landline.group(1)}-{landline.group(2)}"
