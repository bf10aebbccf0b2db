"""Phone numbers are read one way everywhere; names and numbers are masked for pages."""

from __future__ import annotations

import pytest

from protocol.personal import mask_name, mask_phone, normalise_phone


@pytest.mark.parametrize("typed", ["13812345678", "138 1234 5678", "138-1234-5678",
                                   "+86 138 1234 5678", "+8613812345678", "0086-13812345678",
                                   "8613812345678", " 138（1234）5678 "])
def test_a_mobile_number_in_any_usual_form_is_read_the_same(typed: str) -> None:
    assert normalise_phone(typed) == "13812345678"


def test_landlines_keep_their_area_code_and_wrong_numbers_are_refused() -> None:
    assert normalise_phone("0871-6512 3456") == "087165123456"
    assert normalise_phone("010-12345678") == "01012345678"
    for wrong in ("", "12345", "23812345678", "1381234567", "138123456789", "abc13812345678",
                  "+1 138 1234 5678", "8612812345678"):
        assert normalise_phone(wrong) is None, wrong


def test_masks() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("087165123456") == "0871******56"
    assert mask_name("张三") == "张*" and mask_name("欧阳娜娜") == "欧*" and mask_name("") == ""
