"""Chinese line breaking (禁则): one rule for the terminal's screens and its printed tickets.

Where a line may break in Chinese text, following the common rules of Chinese typesetting
(GB/T 15834 punctuation and the W3C "Requirements for Chinese Text Layout"):

- closing punctuation (，。、；：！？）》」』】 … and their Latin forms) never starts a line:
  the character before it moves down with it;
- an opening bracket or quotation mark (（《「『【“ …) never ends a line: it moves down to the
  text it opens;
- a Latin word, a number, a URL or a phone number stays whole unless it is wider than a line;
- a bullet or a list number hangs: the lines after the first start under the text, not under
  the marker.

The rule only decides where lines end; the caller measures text in its own unit (pixels of a
font, printer cells), so the same rule serves Kivy labels and the ESC/POS renderer.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Closing punctuation and marks that must not begin a line.
NO_LINE_START = frozenset("，。、；：！？）》」』】〕〉”’…—～·%‰℃,.;:!?)]}>'\"")
# Opening brackets and quotation marks that must not end a line.
NO_LINE_END = frozenset("（《「『【〔〈“‘([{<￥$")
# A run of Latin letters, digits and the characters of URLs and numbers stays together.
_TOKENS = re.compile(r"[0-9A-Za-z@:/._\-?=&%#+~]+|\s+|.")
# A bullet or list number at the start of a paragraph, with the spaces after it.
BULLET = re.compile(
    r"^\s*(?:[•·●○■□▪◦※]|[-*](?=\s)|\d{1,3}[.、．)）](?!\d)|[（(]\d{1,3}[）)]|[①-⑳]"
    r"|[一二三四五六七八九十]{1,3}、|第[一二三四五六七八九十\d]{1,3}步[：:、]?)\s*")
INDENT = "\u00a0"  # a no-break space: a hanging indent that no renderer strips or breaks at

Measure = Callable[[str], float]


def break_lines(text: str, measure: Measure, max_width: float, *,
                hang: bool = True) -> list[str]:
    """The lines of text, each no wider than max_width as measured by measure.

    Explicit line breaks are kept (an empty paragraph gives an empty line). With hang, the
    continuation lines of a paragraph that starts with a bullet are indented under its text.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_paragraph(paragraph, measure, max_width, hang))
    return lines


def _paragraph(text: str, measure: Measure, max_width: float, hang: bool) -> list[str]:
    text = text.rstrip()
    if not text.strip():
        return [""]
    marker = BULLET.match(text) if hang else None
    indent = _indent_for(text[:marker.end()], measure, max_width) if marker else ""
    tokens = _TOKENS.findall(text)
    lines = _fill(tokens, indent, measure, max_width, additive=True)
    # Widths were added token by token; kerning can make a whole line a little wider than
    # its parts. Check each line once as a whole and, if one is too wide, measure every
    # candidate line as a whole (slower, exact).
    if any(measure(line) > max_width for line in lines):
        lines = _fill(tokens, indent, measure, max_width, additive=False)
    return lines or [""]


def _fill(tokens: list[str], indent: str, measure: Measure, max_width: float, *,
          additive: bool) -> list[str]:
    """Fill lines token by token, never breaking where the rule forbids. Additive: a
    line's width is the sum of its tokens' widths, each distinct token measured once."""
    widths: dict[str, float] = {"": 0.0}

    def width_of(token: str) -> float:
        width = widths.get(token)
        if width is None:
            width = widths[token] = measure(token)
        return width

    lines: list[list[str]] = []
    current: list[str] = []
    used = 0.0  # the width of current, as the sum of its tokens
    for token in tokens:
        prefix = indent if lines else ""
        if additive:
            width = width_of(prefix) + used + width_of(token)
        else:
            width = measure(prefix + "".join(current) + token)
        if width <= max_width:
            current.append(token)
            used += width_of(token)
            continue
        if token.isspace():  # a break at a space: the space goes
            lines.append(current)
            current, used = [], 0.0
            continue
        carried = _carry(current, token)
        if current:
            lines.append(current)
        current = carried + [token]
        width = max_width - (width_of(indent) if lines else 0)
        used = sum(width_of(part) for part in current)
        if not additive or used > width:  # one token wider than a line: a long URL
            current = _split_wide(current, measure, width, lines)
            used = sum(width_of(part) for part in current)
    if current:
        lines.append(current)
    result = []
    for number, line in enumerate(lines):
        joined = "".join(line).strip()
        if joined:
            result.append((indent if number else "") + joined)
    return result


def _carry(current: list[str], token: str) -> list[str]:
    """Take from the end of current what must move down to the next line with token."""
    carried: list[str] = []
    # Closing punctuation may not start the next line: bring down the text it closes.
    if token[0] in NO_LINE_START:
        while len(current) > 1:
            carried.insert(0, current.pop())
            if not carried[0].isspace() and carried[0][0] not in NO_LINE_START:
                break
    # An opening bracket may not end this line: it moves down to the text it opens.
    while len(current) > 1 and current[-1][-1] in NO_LINE_END:
        carried.insert(0, current.pop())
    while current and current[-1].isspace():
        current.pop()
    while carried and carried[0].isspace():
        carried.pop(0)
    return carried


def _split_wide(current: list[str], measure: Measure, width: float,
                lines: list[list[str]]) -> list[str]:
    """Cut a line that is wider than a whole line by itself (a long URL) at characters."""
    text = "".join(current)
    while len(text) > 1 and measure(text) > width:
        cut = len(text) - 1
        while cut > 1 and measure(text[:cut]) > width:
            cut -= 1
        lines.append([text[:cut]])
        text = text[cut:]
    return [text] if text else []


def _indent_for(marker: str, measure: Measure, max_width: float) -> str:
    """No-break spaces as wide as the bullet marker (at most a third of the line)."""
    target = min(measure(marker), max_width / 3)
    space = measure(INDENT) or 1.0
    return INDENT * max(1, round(target / space))
