"""What every calculator shares: input errors, the result with its working and basis."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

FOR_REFERENCE = "仅供参考"
FOR_REFERENCE_EN = "For reference only"
CENT = Decimal("0.01")


class CalcInputError(ValueError):
    """An input out of range, with the field and a message in Chinese and English."""

    def __init__(self, field_name: str, message_zh: str, message_en: str):
        self.field = field_name
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{field_name}: {message_zh} / {message_en}")


@dataclass(frozen=True)
class Basis:
    """A legal basis of a calculation: law code, article and how it is shown."""

    law: str
    article: int
    label: str
    label_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"law": self.law, "article": self.article, "label": self.label,
                "label_en": self.label_en}


class Steps:
    """Working lines (or notes) written in Chinese and English side by side."""

    def __init__(self) -> None:
        self.zh: list[str] = []
        self.en: list[str] = []

    def add(self, zh: str, en: str) -> None:
        """One line in both languages."""
        self.zh.append(zh)
        self.en.append(en)

    def extend(self, other: Steps) -> None:
        """Every line of other, after these."""
        self.zh += other.zh
        self.en += other.en


@dataclass(frozen=True)
class CalcResult:
    """The result in yuan (or the unit named), each step of the working, the legal basis;
    working and notes in Chinese, with the same lines in English beside them."""

    result: Decimal
    unit: str
    working: list[str]
    basis: list[Basis]
    notes: list[str] = field(default_factory=list)
    working_en: list[str] = field(default_factory=list)
    notes_en: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, result: Decimal, working: Steps, basis: list[Basis],
           notes: Steps | None = None) -> CalcResult:
        """A result in yuan from bilingual working and notes."""
        notes = notes or Steps()
        return cls(money(result), "元", working.zh, basis, notes.zh, working.en, notes.en)

    def as_dict(self) -> dict[str, Any]:
        """JSON form: numbers as numbers, the reference mark included."""
        return {"result": float(self.result), "unit": self.unit, "working": self.working,
                "working_en": self.working_en,
                "basis": [b.as_dict() for b in self.basis], "notes": self.notes,
                "notes_en": self.notes_en,
                "disclaimer": f"{FOR_REFERENCE} / {FOR_REFERENCE_EN}"}


@dataclass(frozen=True)
class InputSpec:
    """One input: its name, type, one-line explanation, and default (None: required)."""

    name: str
    kind: type
    help_zh: str
    help_en: str
    default: Any = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Calculator:
    """A named calculator: its inputs and the pure function computing it."""

    name: str
    title: str
    title_en: str
    inputs: tuple[InputSpec, ...]
    compute: Callable[..., CalcResult]
    figures: tuple[str, ...] = ()  # figure kinds the CLI looks up when an input is absent


def money(value: Decimal) -> Decimal:
    """Round to the cent, half up (how fees and compensation are paid)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def yuan(value: Decimal) -> str:
    """'1,234.50元'."""
    return f"{money(value):,.2f}元"


def yuan_en(value: Decimal) -> str:
    """'1,234.50 yuan'."""
    return f"{money(value):,.2f} yuan"


def require_positive(name: str, value: Decimal, label_zh: str, label_en: str,
                     allow_zero: bool = False) -> None:
    """Refuse a negative (or zero) amount with a message in both languages."""
    if value < 0 or (value == 0 and not allow_zero):
        relation_zh, relation_en = ("不能为负数", "cannot be negative") if allow_zero else \
            ("必须大于0", "must be greater than 0")
        raise CalcInputError(name, f"{label_zh}{relation_zh}", f"{label_en} {relation_en}")


def require_order(start: dt.date, end: dt.date, start_name: str = "start",
                  end_name: str = "end") -> None:
    """Refuse dates given the wrong way round."""
    if end < start:
        raise CalcInputError(end_name, f"结束日期 {end} 早于开始日期 {start}",
                             f"the end date {end} is before the start date {start}")
