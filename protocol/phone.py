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


_INTERNATIONAL = re.compile(r"^(\+86|0086)")
_NOT_TYPED = re.compile(r"[^\d+]")


def _groups(digits: str, sizes: tuple[int, ...]) -> str:
    """digits cut into groups of the given sizes, the rest (if any) as one last group."""
    parts, start = [], 0
    for size in sizes:
        if start >= len(digits):
            break
        parts.append(digits[start:start + size])
        start += size
    if start < len(digits):
        parts.append(digits[start:])
    return " ".join(parts)


def _national(digits: str, international: bool) -> str:
    if digits.startswith("1") and not (international and digits[1:2] in ("0", "1", "2")):
        return _groups(digits, (3, 4, 4))  # 138 1234 5678 (+86 10 …: Beijing's area code)
    if not international and not digits.startswith("0"):
        return digits  # no number we know: as typed
    if international:
        digits = "0" + digits  # +86 10 …: the area code without its leading 0
    if len(digits) < 2 or digits[1] == "0":
        area = digits  # still typing the area code (or 00…: no area code)
    else:
        area = digits[:3] if digits[1] in "12" else digits[:4]
    local = digits[len(area):]
    grouped = " ".join(part for part in (area, _groups(local, (4,))) if part)
    return grouped[1:] if international else grouped


def group_phone(text: str) -> str:
    """A phone number as the visitor types it, grouped for checking: a mobile 3-4-4
    ("138 1234 5678"), a landline with its area code apart ("010 1234 5678",
    "0931 1234 567"), "+86 …" or "0086 …" in front. Only for showing: what is stored and
    sent is normalize_phone's form. Partial input is grouped as far as it goes; text that is
    no phone number at all comes back as typed."""
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    if not compact or _NOT_TYPED.search(compact) or "+" in compact[1:]:
        return text.strip()
    prefix = _INTERNATIONAL.match(compact)
    if prefix is None:
        return _national(compact, international=False)
    rest = compact[prefix.end():]
    return f"{prefix.group(1)} {_national(rest, international=True)}".rstrip()
