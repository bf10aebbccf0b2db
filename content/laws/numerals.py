"""Chinese numerals as laws number their articles (第四十七条, 第一百零二条, 第一千二百六十条)."""

from __future__ import annotations

import re

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
          "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
NUMERAL = "[零〇一二两三四五六七八九十百千0-9０-９]+"
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def parse_number(text: str) -> int | None:
    """The value of a Chinese or Arabic numeral ('四十七' -> 47, '47' -> 47), None if not one."""
    text = text.strip().translate(_FULL_WIDTH)
    if not text:
        return None
    if text.isdigit():
        return int(text)
    total, digit = 0, None
    for char in text:
        if char in DIGITS:
            if digit is not None and digit != 0:
                return None  # two digits in a row ('四七') is not how laws write numbers
            digit = DIGITS[char]
        elif char in UNITS:
            total += (1 if digit is None else digit) * UNITS[char]
            digit = None
        else:
            return None
    return total + (digit or 0)


def to_chinese(number: int) -> str:
    """The numeral as laws write it (47 -> '四十七', 102 -> '一百零二', 10 -> '十')."""
    if number <= 0 or number >= 10000:
        raise ValueError(f"article numbers run from 1 to 9999, not {number}")
    names = "零一二三四五六七八九"
    parts: list[str] = []
    zero = False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // unit % 10
        if digit:
            if zero and parts:
                parts.append("零")
            parts.append(names[digit] + name)
            zero = False
        else:
            zero = True
    text = "".join(parts)
    return text[1:] if text.startswith("一十") else text


def article_label(number: int) -> str:
    """'第四十七条' for 47."""
    return f"第{to_chinese(number)}条"


ARTICLE = re.compile(rf"第({NUMERAL})条")
