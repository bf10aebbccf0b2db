"""What the visitor typed into a calculator, checked and computed (no Kivy here).

Money is typed as digits with one point, whole numbers as digits, dates as
eight digits (year, month, day); choices are set by buttons. The form computes
whenever every needed input is there, so the result follows the last key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from content.calculators.base import CalcInputError, CalcResult, Calculator, InputSpec
from content.calculators.figures import (
    FIGURE_INPUTS,
    Figure,
    FigureKind,
    FigureMissing,
    fill_figures,
)

MAX_DIGITS = {Decimal: 12, int: 3, dt.date: 8}
DECIMALS = 2
BACK, CLEAR = "back", "clear"


@dataclass
class FormField:
    """One input: the keys typed so far (or the choice made)."""

    spec: InputSpec
    text: str = ""
    untouched: bool = True  # the first key replaces a default shown in the field
    figure: Decimal | None = None  # the content's local figure used when left empty

    def __post_init__(self) -> None:
        default = self.spec.default
        if isinstance(default, Decimal | int | str) and not isinstance(default, bool):
            self.text = str(default)

    @property
    def is_choice(self) -> bool:
        """Set by buttons, not the keypad."""
        return bool(self.spec.choices)

    def press(self, key: str) -> None:
        """Apply a keypad key: a digit, '.', BACK or CLEAR."""
        if self.is_choice:
            return
        if self.untouched and key not in (BACK,):
            self.text = ""
        self.untouched = False
        if key == CLEAR:
            self.text = ""
        elif key == BACK:
            self.text = self.text[:-1]
        elif key == ".":
            if self.spec.kind is Decimal and "." not in self.text:
                self.text = (self.text or "0") + "."
        elif key.isdigit() and self._room_for_digit():
            self.text = key if self.text == "0" else self.text + key

    def _room_for_digit(self) -> bool:
        whole, point, cents = self.text.partition(".")
        if point:
            return len(cents) < DECIMALS
        return len(whole) < MAX_DIGITS[self.spec.kind]

    def display(self) -> str:
        """The value as shown: dates as 2020-03-01 while typed, money with separators."""
        if self.spec.kind is dt.date:
            digits = self.text.ljust(8, "_")
            return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}" if self.text else ""
        if self.spec.kind is Decimal and self.text:
            whole, point, cents = self.text.partition(".")
            return f"{int(whole or 0):,}{point}{cents}"
        return self.text

    def value(self) -> Any:
        """The typed value (None when empty); CalcInputError for a date that does not exist."""
        if not self.text:
            return None
        if self.spec.kind is dt.date:
            if len(self.text) < 8:
                raise CalcInputError(self.spec.name, "请输入完整的日期：年月日共8位数字",
                                     "enter the whole date: 8 digits, year month day")
            try:
                return dt.date(int(self.text[:4]), int(self.text[4:6]), int(self.text[6:]))
            except ValueError:
                raise CalcInputError(self.spec.name, f"没有这一天：{self.display()}",
                                     f"there is no such day: {self.display()}") from None
        if self.spec.kind is Decimal:
            return Decimal(self.text.rstrip(".") or "0")
        if self.spec.kind is int:
            return int(self.text)
        return self.text


@dataclass
class Outcome:
    """After a key: the result, or the input error, or the inputs still missing."""

    result: CalcResult | None = None
    error: CalcInputError | None = None
    missing: list[InputSpec] = field(default_factory=list)


class CalcForm:
    """A calculator's inputs being filled in, one selected for the keypad."""

    def __init__(self, calculator: Calculator, figures: list[Figure], today: dt.date):
        self.calculator, self.figures, self.today = calculator, figures, today
        self.fields = [FormField(spec) for spec in calculator.inputs]
        self.selected = next((i for i, f in enumerate(self.fields) if not f.is_choice), 0)
        self._note_figures()

    def _note_figures(self) -> None:
        """Show which local figure an input left empty will use."""
        optional = {FIGURE_INPUTS[FigureKind(kind)] for kind in self.calculator.figures}
        for form_field in self.fields:
            if form_field.spec.name in optional:
                values: dict[str, Any] = {}
                try:
                    fill_figures(self.calculator.figures, values, self.figures, self.today)
                except FigureMissing:
                    continue
                found = values.get(form_field.spec.name)
                form_field.figure = found if isinstance(found, Decimal) else None

    @property
    def current(self) -> FormField:
        """The input the keypad types into."""
        return self.fields[self.selected]

    def press(self, key: str) -> None:
        """A keypad key for the selected input."""
        self.current.press(key)

    def choose(self, name: str, value: str) -> None:
        """A choice button."""
        for form_field in self.fields:
            if form_field.spec.name == name:
                form_field.text = value

    def next_field(self) -> None:
        """Select the next keypad input (after the last, the first)."""
        typed = [i for i, f in enumerate(self.fields) if not f.is_choice]
        later = [i for i in typed if i > self.selected]
        self.selected = (later or typed)[0]

    def evaluate(self) -> Outcome:
        """Compute when every needed input is there; else say what is wrong or missing."""
        values: dict[str, Any] = {}
        try:
            for form_field in self.fields:
                values[form_field.spec.name] = form_field.value()
        except CalcInputError as error:
            return Outcome(error=error)
        optional = {FIGURE_INPUTS[FigureKind(kind)] for kind in self.calculator.figures}
        missing = [f.spec for f in self.fields
                   if values[f.spec.name] is None and f.spec.name not in optional]
        if missing:
            return Outcome(missing=missing)
        try:
            fill_figures(self.calculator.figures, values, self.figures, self.today)
            return Outcome(result=self.calculator.compute(**values))
        except CalcInputError as error:
            return Outcome(error=error)
        except FigureMissing as missing_figure:
            return Outcome(error=self._figure_missing(values, missing_figure))

    def _figure_missing(self, values: dict[str, Any], missing: FigureMissing) -> CalcInputError:
        """An input error that also makes the figure unavailable (dates reversed, a date
        before the first figure) is the clearer message; else the missing figure's."""
        values = {**values, "end": None} if "end" in values else dict(values)
        try:
            fill_figures(self.calculator.figures, values, self.figures, self.today)
            if "end" in values:
                values["end"] = self.fields[[f.spec.name for f in self.fields].index(
                    "end")].value()
            self.calculator.compute(**values)
        except CalcInputError as error:
            return error
        except FigureMissing:
            pass
        return CalcInputError(
            "figure", f"内容中没有这一日期适用的本地数字，请在对应一项中自行输入（{missing}）",
            f"The content has no local figure for that day: please type it in ({missing})")
