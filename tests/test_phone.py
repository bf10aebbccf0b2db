"""The one phone number rule (protocol/phone.py) on what people type."""

from __future__ import annotations

import pytest

from protocol.phone import group_phone, normalize_phone


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


@pytest.mark.parametrize(("typed", "shown"), [
    ("13812345678", "138 1234 5678"), ("138 1234 5678", "138 1234 5678"),
    ("138-1234-5678", "138 1234 5678"), ("１３８１２３４５６７８", "138 1234 5678"),
])
def test_a_mobile_is_shown_3_4_4(typed: str, shown: str) -> None:
    assert group_phone(typed) == shown


@pytest.mark.parametrize(("typed", "shown"), [
    ("01012345678", "010 1234 5678"), ("010-12345678", "010 1234 5678"),
    ("(020) 8765 4321", "020 8765 4321"), ("075588886666", "0755 8888 6666"),
    ("09311234567", "0931 1234 567"), ("0931-8866554", "0931 8866 554"),
])
def test_a_landline_shows_its_area_code_apart(typed: str, shown: str) -> None:
    assert group_phone(typed) == shown


@pytest.mark.parametrize(("typed", "shown"), [
    ("+8613812345678", "+86 138 1234 5678"), ("+86 138-1234-5678", "+86 138 1234 5678"),
    ("008613812345678", "0086 138 1234 5678"), ("+861012345678", "+86 10 1234 5678"),
    ("+86 21 8765 4321", "+86 21 8765 4321"), ("+8675588886666", "+86 755 8888 6666"),
])
def test_the_country_code_stays_in_front(typed: str, shown: str) -> None:
    assert group_phone(typed) == shown


def test_a_mobile_is_grouped_digit_by_digit_as_it_is_typed() -> None:
    number = "13812345678"
    shown = [group_phone(number[:length]) for length in range(1, 12)]
    assert shown == ["1", "13", "138", "138 1", "138 12", "138 123", "138 1234", "138 1234 5",
                     "138 1234 56", "138 1234 567", "138 1234 5678"]
    assert group_phone("138123456789") == "138 1234 5678 9"  # one too many: still visible


def test_a_landline_is_grouped_as_it_is_typed() -> None:
    beijing = [group_phone("01012345678"[:length]) for length in range(1, 12)]
    assert beijing == ["0", "01", "010", "010 1", "010 12", "010 123", "010 1234",
                       "010 1234 5", "010 1234 56", "010 1234 567", "010 1234 5678"]
    assert [group_phone(t) for t in ("09", "093", "0931", "09318")] == \
        ["09", "093", "0931", "0931 8"]
    assert [group_phone(t) for t in ("0", "00", "008", "0086", "00861")] == \
        ["0", "00", "008", "0086", "0086 1"]
    assert [group_phone(t) for t in ("+", "+8", "+86", "+861", "+8610")] == \
        ["+", "+8", "+86", "+86 1", "+86 10"]


@pytest.mark.parametrize("typed", ["", "2345678", "110", "一三八", "138a1234", "138+1234"])
def test_what_is_no_phone_number_is_shown_as_typed(typed: str) -> None:
    assert group_phone(typed) == typed


@pytest.mark.parametrize("typed", ["13812345678", "01012345678", "+86 10 1234 5678",
                                   "0931-8866554", "008613812345678"])
def test_the_grouped_number_is_the_same_number(typed: str) -> None:
    assert normalize_phone(group_phone(typed)) == normalize_phone(typed)
