"""Personal numbers masked out of what visitors type or say, before it is kept anywhere.

A question the terminal could not answer is counted for the dashboard (需求研判) as text
only; a visitor may have put their own details in it ("我的手机是13800138000，..."). The
terminal masks it before it reaches the outbox on disk, the server masks it again on
intake (an older terminal may not have), both with :func:`normalise_question`.

Masked, each by a placeholder naming what was there: e-mail addresses, 18-digit resident
ID numbers (the last may be X), mainland mobile numbers (with or without +86 and
separators), landlines with their area code, bank-card-like runs of 12 to 19 digits, and
any other run of 7 or more digits, or of 7 or more Chinese digit characters as speech
recognition writes them ("一三八……"). Shorter numbers (amounts, years, 12348) stay.
"""

from __future__ import annotations

import re
import unicodedata

MAX_QUESTION = 200  # characters kept of a question (the dashboard groups on them)

_SEP = r"[ \-]?"
# Order matters: the specific kinds first, then what is left of long digit runs.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.ASCII), "[邮箱]"),
    (re.compile(r"(?<!\d)\d{6}" + _SEP + r"\d{8}" + _SEP + r"\d{3}[\dXx](?![\dA-Za-z])"),
     "[身份证号]"),
    (re.compile(r"(?<!\d)(?:\+?86" + _SEP + r")?1[3-9]\d" + _SEP + r"\d{4}" + _SEP
                + r"\d{4}(?!\d)"), "[手机号]"),
    (re.compile(r"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})" + _SEP + r"\d{7,8}(?!\d)"), "[电话]"),
    # Card and other numbers are grouped by spaces at most ("6222 0212 ..."): a date
    # such as 2026-12-06 stays.
    (re.compile(r"(?<!\d)\d(?: ?\d){11,18}(?!\d)"), "[卡号]"),
    (re.compile(r"(?<!\d)\d(?: ?\d){6,}(?!\d)"), "[号码]"),
    (re.compile(r"[零〇一二两三四五六七八九幺]{7,}"), "[号码]"),
)
_SPACES = re.compile(r"\s+")
_TRAILING = "?？!！.。,，;；、~～ "


def mask_personal(text: str) -> str:
    """text with phone, ID, bank-card and other long numbers and e-mail addresses replaced
    by placeholders ([手机号], [身份证号], ...). Expects NFKC text (full-width digits
    made ASCII): normalise_question gives it."""
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


def normalise_question(text: str) -> str:
    """A question as it is kept and grouped: NFKC (full-width letters and digits made
    plain), NUL and control characters dropped, spaces collapsed, Latin letters in lower
    case, trailing punctuation dropped, personal numbers masked, at most MAX_QUESTION
    characters. The same wording asked twice gives the same text."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    text = _SPACES.sub(" ", text).strip().lower()
    text = mask_personal(text).rstrip(_TRAILING).strip()
    return text[:MAX_QUESTION]
