"""The calculator form behind the screen: keys, dates, defaults, local figures, messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from content.calculators.court_fee import court_fee
from content.calculators.registry import CALCULATORS
from content.install import SEED
from content.loader import load_source
from screens.calc_form import BACK, CLEAR, CalcForm

FIGURES = load_source(SEED).figures
TODAY = dt.date(2026, 6, 1)


def form(name: str) -> CalcForm:
    return CalcForm(CALCULATORS[name], FIGURES, TODAY)


def press(calc: CalcForm, keys: str) -> None:
    for key in keys:
        calc.press(key)


def test_money_keys_replace_the_default_and_keep_two_decimals() -> None:
    calc = form("court-fee")
    assert calc.current.display() == "0"  # the default amount
    press(calc, "0012.345")
    assert calc.current.text == "12.34"
    press(calc, ".")
    assert calc.current.text == "12.34", "one decimal point only"
    calc.press(BACK)
    assert calc.current.display() == "12.3"
    calc.press(CLEAR)
    press(calc, "1234567")
    assert calc.current.display() == "1,234,567"


def test_court_fee_matches_the_content_function() -> None:
    calc = form("court-fee")
    press(calc, "150000")
    calc.choose("procedure", "simple")
    outcome = calc.evaluate()
    assert outcome.result == court_fee(Decimal(150000), procedure="simple")


def test_dates_typed_as_eight_digits() -> None:
    calc = form("economic-compensation")
    press(calc, "6000")
    calc.next_field()
    press(calc, "202002")
    assert calc.current.display() == "2020-02-__"
    assert calc.evaluate().error is not None  # a date half typed says so
    press(calc, "30")
    error = calc.evaluate().error
    assert error is not None and error.message_zh == "没有这一天：2020-02-30"
    calc.press(BACK)
    calc.press(BACK)
    press(calc, "29")
    assert calc.current.value() == dt.date(2020, 2, 29)
    calc.next_field()
    assert [spec.name for spec in calc.evaluate().missing] == ["end"]


def test_local_figure_fills_an_empty_input_and_reversed_dates_win() -> None:
    calc = form("economic-compensation")
    average = calc.fields[3]
    assert average.spec.name == "average_wage" and average.figure is not None
    press(calc, "6000")
    calc.next_field()
    press(calc, "20200101")
    calc.next_field()
    press(calc, "20190701")
    error = calc.evaluate().error
    assert error is not None and error.field == "end"
    assert "早于开始日期" in error.message_zh


def test_grade_eleven_and_integer_keys() -> None:
    calc = form("work-injury")
    press(calc, "5000")
    calc.next_field()
    press(calc, "1.1")
    assert calc.current.text == "11", "no decimal point in a whole number"
    error = calc.evaluate().error
    assert error is not None
    assert error.message_en == "the disability grade runs from 1 to 10, not 11"
    calc.press(BACK)
    result = calc.evaluate().result
    assert result is not None and result.result == Decimal(5000) * 27
