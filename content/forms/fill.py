"""Checking what a visitor filled in, and pre-filling from a flow the visitor went through.

Every problem is one FieldProblem with a message in Chinese and in English, so the screen can
show it next to the field and the document is never produced with a gap or a malformed number.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from content.forms.schema import FieldType, FormField, FormTemplate
from content.schema import Flow, QuestionNode
from protocol.phone import normalize_phone

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"  # GB 11643: the check character for each sum modulo 11
DATE_FORMAT = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


@dataclass(frozen=True)
class FieldProblem:
    """Why one field cannot be accepted as filled in."""

    key: str
    message: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message} ({self.message_en})"


def id_check_char(first17: str) -> str:
    """The 18th character of a resident ID number whose first 17 digits are given."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalize(field: FormField, value: str) -> str:
    """The value as it is checked and printed: trimmed, full-width digits and x made plain."""
    value = value.strip()
    if field.type in (FieldType.PHONE, FieldType.ID_NUMBER, FieldType.NUMBER, FieldType.DATE):
        value = value.translate({0xFF10 + i: 0x30 + i for i in range(10)})
        value = value.replace(" ", "").replace("－", "-").replace("．", ".")
    if field.type is FieldType.ID_NUMBER:
        value = value.upper().replace("Ｘ", "X")
    if field.type is FieldType.PHONE:  # one rule for every phone number: +86, dashes, spaces
        value = normalize_phone(value) or value
    return value


def _problem(field: FormField, zh: str, en: str) -> FieldProblem:
    return FieldProblem(field.key, f"{field.label}：{zh}", f"{field.label_en}: {en}")


def check_field(field: FormField, value: str, today: dt.date | None = None) -> FieldProblem | None:
    """The problem with one value, or None when it is acceptable (empty is checked elsewhere)."""
    value = normalize(field, value)
    if not value:
        return None
    kind = field.type
    limit = field.length_limit
    if limit is not None and len(value) > limit:
        return _problem(field, f"最多填写{limit}个字，现在是{len(value)}个字",
                        f"at most {limit} characters, not {len(value)}")
    if kind is FieldType.PHONE and normalize_phone(value) is None:
        return _problem(field, "请填写11位手机号码（1开头），"
                        "或带区号的固定电话（如 0571-87654321）",
                        "enter an 11-digit mobile number starting with 1, or a landline with "
                        "its area code (like 0571-87654321)")
    if kind is FieldType.ID_NUMBER:
        return _check_id(field, value, today or dt.date.today())
    if kind is FieldType.DATE:
        return _check_date(field, value)
    if kind is FieldType.NUMBER:
        return _check_number(field, value)
    if kind is FieldType.CHOICE and value not in field.choices:
        return _problem(field, "请从选项中选择：" + "、".join(field.choices),
                        "choose one of the options")
    return None


def _check_id(field: FormField, value: str, today: dt.date) -> FieldProblem | None:
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return _problem(field, f"居民身份证号码应为18位（前17位是数字，最后一位是数字或X），"
                        f"现在是{len(value)}位",
                        f"a resident ID number has 18 characters (17 digits, then a digit or X), "
                        f"not {len(value)}")
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        born = None
    if born is None or born > today or born.year < 1900:
        return _problem(field, "号码中的出生日期不对，请核对", "the date of birth in the number "
                        "is not valid; please check it")
    if id_check_char(value[:17]) != value[17]:
        return _problem(field, "号码校验不通过，可能有一位填错了，请对照身份证核对",
                        "the check digit does not match: a digit may be wrong; please compare "
                        "with the ID card")
    return None


def _check_date(field: FormField, value: str) -> FieldProblem | None:
    match = DATE_FORMAT.match(value)
    try:
        if match is None:
            raise ValueError(value)
        dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return _problem(field, "日期格式应为 年-月-日，如 2024-03-15", "enter a date as "
                        "year-month-day, like 2024-03-15")
    return None


def _check_number(field: FormField, value: str) -> FieldProblem | None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return _problem(field, "请填写数字", "enter a number")
    if not number.is_finite():
        return _problem(field, "请填写数字", "enter a number")
    if field.minimum is not None and number < Decimal(str(field.minimum)):
        return _problem(field, f"不能小于{field.minimum:g}", f"cannot be less than "
                        f"{field.minimum:g}")
    if field.maximum is not None and number > Decimal(str(field.maximum)):
        return _problem(field, f"不能大于{field.maximum:g}", f"cannot be more than "
                        f"{field.maximum:g}")
    return None


def check_values(template: FormTemplate, values: dict[str, str],
                 today: dt.date | None = None) -> list[FieldProblem]:
    """Every problem with a filled-in form, in field order: required fields left empty, values
    in the wrong format, and keys the template does not have."""
    problems: list[FieldProblem] = []
    known = {field.key for field in template.fields()}
    for key in values:
        if key not in known:
            problems.append(FieldProblem(key, f"表格中没有“{key}”这一项", f"the form has no "
                                         f"field {key!r}"))
    for field in template.fields():
        value = normalize(field, values.get(field.key, ""))
        if not value:
            if field.required:
                problems.append(_problem(field, "必须填写", "is required"))
            continue
        problem = check_field(field, value, today)
        if problem is not None:
            problems.append(problem)
    return problems


def clean_values(template: FormTemplate, values: dict[str, str]) -> dict[str, str]:
    """The values normalised, in field order, empty ones left out."""
    cleaned = {field.key: normalize(field, values.get(field.key, ""))
               for field in template.fields()}
    return {key: value for key, value in cleaned.items() if value}


def flow_answers(flow: Flow, visited: list[str]) -> dict[str, str]:
    """Node key → the answer given there (a choice's label, a result's title), from the nodes a
    visitor went through in order (the start first, the node reached last)."""
    answers: dict[str, str] = {}
    for here, there in zip(visited, visited[1:], strict=False):
        node = flow.nodes.get(here)
        if isinstance(node, QuestionNode):
            chosen = [c.label for c in node.choices if c.next == there]
            if chosen:
                answers[here] = chosen[0]
    if visited and (last := flow.nodes.get(visited[-1])) is not None \
            and not isinstance(last, QuestionNode):
        answers[visited[-1]] = last.title
    return answers


def prefill(template: FormTemplate, flow: Flow, visited: list[str]) -> dict[str, str]:
    """The values a flow's answers give this template's fields (fields from other flows, and
    answers that fit no choice of a choice field, are left empty)."""
    answers = flow_answers(flow, visited)
    values: dict[str, str] = {}
    for field in template.fields():
        source = field.prefill
        if source is None or source.flow != flow.id or source.node not in answers:
            continue
        answer = answers[source.node]
        value = source.map.get(answer, answer)
        if field.type is FieldType.CHOICE and value not in field.choices:
            continue
        values[field.key] = value
    return values
