"""The Chinese line-breaking rule on its own cases, measured in printer cells (CJK = 2)."""

from __future__ import annotations

import unicodedata

import pytest

from content.linebreak import INDENT, NO_LINE_END, NO_LINE_START, break_lines


def cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def check(lines: list[str], width: int) -> None:
    """The invariants every result keeps."""
    for line in lines:
        assert cells(line) <= width, line
        if line:
            assert line.lstrip(INDENT)[0] not in NO_LINE_START, lines
            assert line[-1] not in NO_LINE_END, lines


def test_closing_punctuation_never_starts_a_line() -> None:
    # "，" would start the second line: the character before it moves down with it.
    assert break_lines("一二三四五六，七八", cells, 12) == ["一二三四五", "六，七八"]
    lines = break_lines("请携带身份证。户口簿；结婚证）以及其他材料：照片！", cells, 14)
    check(lines, 14)
    assert "".join(lines) == "请携带身份证。户口簿；结婚证）以及其他材料：照片！"


def test_a_run_of_closing_marks_moves_down_together() -> None:
    # "。”" both close: neither may start the line, so "好" comes down with them.
    lines = break_lines("他说：“你好。”我走了", cells, 12)
    assert lines == ["他说：“你", "好。”我走了"]
    check(lines, 12)


def test_an_opening_bracket_never_ends_a_line() -> None:
    # Greedy filling would end the second line with "（"; it moves down to "原件".
    lines = break_lines("请带上身份证（原件）和复印件", cells, 14)
    assert lines == ["请带上身份证", "（原件）和复印", "件"]
    lines = break_lines("申请人应当提交《法律援助申请表》和身份证明", cells, 16)
    check(lines, 16)
    assert any(line.startswith("《") for line in lines)


def test_latin_words_numbers_and_phone_numbers_stay_whole() -> None:
    assert break_lines("材料 A1234567 与 B7654321", len, 10) == ["材料", "A1234567 与", "B7654321"]
    lines = break_lines("请拨打12348热线或138-1234-5678", cells, 14)
    check(lines, 14)
    assert any("12348" in line for line in lines)
    assert any("138-1234-5678" in line for line in lines)


def test_a_word_wider_than_a_line_is_still_cut() -> None:
    assert break_lines("https://example.gov.cn/q", len, 12) == ["https://exam", "ple.gov.cn/q"]


@pytest.mark.parametrize("marker", ["1. ", "2、", "（3）", "• ", "① ", "一、"])
def test_bullets_hang_under_their_text(marker: str) -> None:
    text = marker + "身份证明：居民身份证、户口簿或者其他有效证件的原件和复印件"
    lines = break_lines(text, cells, 20)
    check(lines, 20)
    assert len(lines) > 2 and lines[0].startswith(marker.strip())
    indents = {len(line) - len(line.lstrip(INDENT)) for line in lines[1:]}
    assert len(indents) == 1 and indents.pop() >= 1  # every continuation line, the same indent
    assert "".join(line.lstrip(INDENT) for line in lines).replace(" ", "") == \
        text.replace(" ", "")


def test_no_hanging_indent_when_asked_or_without_a_bullet() -> None:
    assert not any(line.startswith(INDENT) for line in
                   break_lines("1. 身份证明和户口簿的原件和复印件", cells, 12, hang=False))
    assert not any(line.startswith(INDENT) for line in
                   break_lines("身份证明和户口簿的原件和复印件以及照片", cells, 12))
    # A decimal number is not a list number.
    assert not any(line.startswith(INDENT) for line in
                   break_lines("3.45%是一年期贷款市场报价利率的数值", cells, 12))


def test_explicit_line_breaks_and_empty_paragraphs_are_kept() -> None:
    assert break_lines("第一段\n\n第二段", cells, 40) == ["第一段", "", "第二段"]
    assert break_lines("", cells, 40) == [""]


def test_long_mixed_text_keeps_every_character_and_every_rule() -> None:
    text = ("法律援助机构收到申请后七日内作出决定（情况紧急的可以先行提供援助）；"
            "材料不齐全的，会一次性告知需要补充的材料。咨询请拨12348，或访问“12348中国法网”。")
    for width in range(10, 60, 3):
        lines = break_lines(text, cells, width)
        check(lines, width)
        assert "".join(lines) == text


def test_each_distinct_character_is_measured_once_and_each_line_checked_whole():
    """A long paragraph costs one measurement per distinct token plus one per line, not
    one per character (a label's text is measured with the font on the UI thread)."""
    calls: list[str] = []

    def counting(text: str) -> float:
        calls.append(text)
        return cells(text)

    text = "申请法律援助应当提交身份证明、经济困难状况说明和与案件有关的材料。" * 10
    lines = break_lines(text, counting, 20)
    assert all(cells(line) <= 20 for line in lines)
    assert "".join(lines) == text
    assert len(calls) <= len(set(text)) + len(lines) + 2, len(calls)


def test_a_measure_that_does_not_add_up_still_gets_lines_that_fit():
    """Kerning can make a whole line wider than its characters' sum: then the lines are
    measured whole, and every one fits."""

    def kerned(text: str) -> float:  # a line gets wider than its parts past 6 characters
        return cells(text) + (3 if len(text) > 6 else 0)

    lines = break_lines("一二三四五六七八九十甲乙丙丁", kerned, 14)
    assert all(kerned(line) <= 14 for line in lines), lines
    assert "".join(lines) == "一二三四五六七八九十甲乙丙丁"
