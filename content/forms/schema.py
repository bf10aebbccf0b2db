"""Content model of fill-in document templates (法律援助申请表, 起诉状 ...).

A template is a list of sections, each a list of fields with a label, one line of help, a type
that decides the keypad and the format check, and whether it is required. A field may be
pre-filled from the answer a visitor gave to a flow (the legal-aid self-check).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from content.schema_base import Code, Model, Text

OneLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=80,
                                           pattern=r"^[^\n]*$")]


class FieldType(StrEnum):
    """What a field holds; it decides the keypad on screen and the format check."""

    TEXT = "text"
    PHONE = "phone"
    ID_NUMBER = "id_number"
    DATE = "date"
    CHOICE = "choice"
    NUMBER = "number"
    MULTILINE = "multiline"


class Layout(StrEnum):
    """How the printed document is laid out."""

    FORM = "form"  # a table of label and value, section by section
    ELEMENTS = "elements"  # 要素式: numbered elements, each with its answer underneath


DEFAULT_MAX_LENGTH = {FieldType.TEXT: 60, FieldType.MULTILINE: 1500}


class FlowSource(Model):
    """Pre-fill a field from a flow: the label of the answer chosen at a node (or a result's
    title), optionally mapped to the field's own wording."""

    flow: Code
    node: Code
    map: dict[str, Text] = Field(default_factory=dict)


class FormField(Model):
    """One field of a template."""

    key: Code
    label: Text
    label_en: Text
    help: OneLine = ""
    help_en: OneLine = ""
    type: FieldType = FieldType.TEXT
    required: bool = False
    choices: list[Text] = Field(default_factory=list)
    max_length: int | None = Field(default=None, ge=1, le=5000)
    minimum: float | None = None
    maximum: float | None = None
    prefill: FlowSource | None = None

    @model_validator(mode="after")
    def _rules_fit_type(self) -> FormField:
        """Choices only (and always) for choice fields; bounds only for numbers."""
        if self.type is FieldType.CHOICE and len(self.choices) < 2:
            raise ValueError("a choice field needs at least two choices")
        if self.type is not FieldType.CHOICE and self.choices:
            raise ValueError(f"choices are only for choice fields, not {self.type.value}")
        if len(set(self.choices)) != len(self.choices):
            raise ValueError("choices must be different from each other")
        if (self.minimum is not None or self.maximum is not None) and \
                self.type is not FieldType.NUMBER:
            raise ValueError("minimum and maximum are only for number fields")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum is greater than maximum")
        if self.max_length is not None and self.type not in DEFAULT_MAX_LENGTH:
            raise ValueError("max_length is only for text and multiline fields")
        return self

    @property
    def length_limit(self) -> int | None:
        """The most characters a text field takes."""
        return self.max_length or DEFAULT_MAX_LENGTH.get(self.type)


class FormSection(Model):
    """A titled group of fields (申请人基本情况, 诉讼请求 ...)."""

    title: Text
    title_en: Text
    note: str = ""
    fields: list[FormField] = Field(min_length=1)


class FormTemplate(Model):
    """A fill-in document: its title, layout, sections and what is printed at the end."""

    id: Code
    title: Text
    title_en: Text
    layout: Layout = Layout.FORM
    addressee: str = ""  # printed under the title: 此致 …
    intro: str = ""
    sections: list[FormSection] = Field(min_length=1)
    signature: list[Text] = Field(default_factory=lambda: ["申请人（签名）"])
    guides: list[Code] = Field(default_factory=list)  # guides this document belongs to
    note: str = ""

    def fields(self) -> list[FormField]:
        """Every field in print order."""
        return [field for section in self.sections for field in section.fields]

    def field_paths(self) -> dict[str, tuple[str | int, ...]]:
        """Each field key and its path in the source (for errors at the right line)."""
        return {field.key: ("sections", s, "fields", f)
                for s, section in enumerate(self.sections)
                for f, field in enumerate(section.fields)}
