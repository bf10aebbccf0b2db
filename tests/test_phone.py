"""The one phone number rule (protocol/phone.py) on what people type."""

from __future__ import annotations

import pytest

from protocol.phone import normalize_phone


@pytest.mark.parametrize("typed", [
    "13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "+8613812345678",
    "0086 138 1234 5678", "008613812345678", "8613812345678", "１３８１２３４５６７８",
    "＋８６　１３８－１２３４－５６７８", " 138.1234.5678 ", "(138) 1234 5678",
])
def test_mobile_numbers_typed_any_way_are_one_number(typed: str) -> None:
    assert normalize_phone(typed) == "13812345678"


@pytest.mark.parametrize(("typed", "stored"), [
    ("010-12345678", "010-12345678"), ("01012345678", "010-12345678"),
    ("(010) 1234 5678", "010-12345678"), ("+86 10 1234 5678", "010-12345678"),
    ("0086-10-12345678", "010-12345678"), ("020 8765 4321", "020-87654321"),
    ("0931-1234567", "0931-1234567"), ("09311234567", "0931-1234567"),
    ("０９３１－８８６６５５４", "0931-8866554"), ("0755 8888 6666", "0755-88886666"),
])
def test_landlines_keep_their_area_code_apart(typed: str, stored: str) -> None:
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize("typed", ["", "   ", "　", "--"])
def test_an_empty_entry_stays_empty(typed: str) -> None:
    assert normalize_phone(typed) == ""


@pytest.mark.parametrize("typed", [
    "12345", "110", "12348", "1380013800a", "0931-1234567x", "23812345678", "138123456789",
    "+1 650 253 0000", "+86 12345678901", "0931-123456", "86 10 12345678 9", "一三八",
])
def test_what_is_no_number_is_refused(typed: str) -> None:
    assert normalize_phone(typed) is None
