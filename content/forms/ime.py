"""A small pinyin input for the fill-in screen: type a syllable, pick the character.

The candidates are the 3,755 level-1 characters of GB 2312 (the common ones), indexed by their
toneless pinyin with pypinyin; a syllable typed in part lists the syllables it begins.
"""

from __future__ import annotations

from functools import cache


@cache
def pinyin_index() -> dict[str, tuple[str, ...]]:
    """Toneless pinyin → characters, in GB 2312 order (about half a second, once)."""
    from pypinyin import lazy_pinyin

    index: dict[str, list[str]] = {}
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            if high == 0xD7 and low > 0xF9:
                break  # the end of level 1
            char = bytes([high, low]).decode("gb2312")
            index.setdefault(lazy_pinyin(char)[0].replace("ü", "v"), []).append(char)
    return {syllable: tuple(chars) for syllable, chars in index.items()}


def candidates(letters: str, limit: int = 60) -> list[str]:
    """Characters for a typed syllable: exact matches first, then syllables it begins."""
    letters = letters.lower().strip()
    if not letters:
        return []
    index = pinyin_index()
    found = list(index.get(letters, ()))
    for syllable in sorted(index):
        if syllable != letters and syllable.startswith(letters):
            found.extend(index[syllable])
        if len(found) >= limit:
            break
    return found[:limit]
