"""Local figures the calculators need, kept as province content with the dates they apply from.

``figures.yaml`` in a content source lists each figure once with its values;
a value applies from its date until the next value's date.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from content.schema_base import Model, Text


class FigureKind(StrEnum):
    """The figures calculators know how to use."""

    AVERAGE_MONTHLY_WAGE = "average-monthly-wage"  # 上年度职工月平均工资 (元/月)
    URBAN_DISPOSABLE_INCOME = "urban-disposable-income"  # 城镇居民人均可支配收入 (元/年)
    LPR_ONE_YEAR = "lpr-1y"  # 一年期贷款市场报价利率 (% per year)


class FigureValue(Model):
    """One value and the day it applies from."""

    applies_from: dt.date
    value: Decimal = Field(gt=0)
    source: str = ""


class Figure(Model):
    """A local figure with its dated values, oldest first."""

    id: FigureKind
    name: Text
    name_en: Text | None = None
    unit: Text
    region: Text
    values: list[FigureValue] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _dates_increase(cls, values: list[FigureValue]) -> list[FigureValue]:
        """Values are listed oldest first, one per date, so 'the value on a day' is clear."""
        for before, after in zip(values, values[1:], strict=False):
            if after.applies_from <= before.applies_from:
                raise ValueError(f"values must be in date order: {after.applies_from} "
                                 f"comes after {before.applies_from}")
        return values

    def on(self, day: dt.date) -> FigureValue | None:
        """The value in force on a day, or None before the first one."""
        current = None
        for value in self.values:
            if value.applies_from > day:
                break
            current = value
        return current


class FigureMissing(LookupError):
    """A calculator needs a figure the content does not have for the day asked."""


def figure_on(figures: list[Figure], kind: FigureKind, day: dt.date) -> FigureValue:
    """The value of a figure on a day; FigureMissing when absent."""
    for figure in figures:
        if figure.id == kind:
            value = figure.on(day)
            if value is None:
                raise FigureMissing(f"{figure.name} has no value on or before {day} / "
                                    f"no value of {kind.value} on or before {day}")
            return value
    raise FigureMissing(f"内容中没有 {kind.value} / the content has no {kind.value} figure")


# Which input of a calculator each figure fills when the visitor or editor leaves it out.
FIGURE_INPUTS: dict[FigureKind, str] = {
    FigureKind.AVERAGE_MONTHLY_WAGE: "average_wage",
    FigureKind.URBAN_DISPOSABLE_INCOME: "income",
    FigureKind.LPR_ONE_YEAR: "rates",
}


def fill_figures(kinds: tuple[str, ...], values: dict[str, Any], figures: list[Figure],
                 day: dt.date) -> None:
    """Fill each figure input left empty (None) from the content: a figure's value on
    the day (the end date when the calculation has one), or the whole LPR table."""
    for kind in (FigureKind(k) for k in kinds):
        name = FIGURE_INPUTS[kind]
        if values.get(name) is not None:
            continue
        if kind == FigureKind.LPR_ONE_YEAR:
            figure = next((f for f in figures if f.id == kind), None)
            values[name] = [(v.applies_from, v.value) for v in figure.values] if figure else []
        else:
            values[name] = figure_on(figures, kind, values.get("end") or day).value
