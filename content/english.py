"""English beside Chinese: every visitor text ``x`` of a content model may have ``x_en``.

A text field and its ``_en`` sibling form a pair; a list of texts pairs item by item
(``applicants`` / ``applicants_en`` must be as long as each other when English is given).
Screens show the English in English mode and fall back to the Chinese where a province
has not translated an item; ``hallkiosk content validate --english`` and the seed's test
report every text still without English, at its file and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

# Search words, not shown to visitors: English is welcome there but never required.
NOT_SHOWN = frozenset({"keywords"})
# The kinds of a content set whose texts a visitor reads on the terminal.
VISITOR_KINDS = ("categories", "guides", "points", "faq", "online", "flows", "slides",
                 "intents", "topics", "figures")


@dataclass(frozen=True)
class Pair:
    """A Chinese text (or list of texts) and its English, at a path inside one item."""

    path: tuple[Any, ...]  # to the Chinese field, e.g. ("materials", 2, "name")
    chinese: Any
    english: Any

    @property
    def english_path(self) -> tuple[Any, ...]:
        """The path of the English field (``materials.2.name_en``)."""
        return (*self.path[:-1], f"{self.path[-1]}_en")

    @property
    def shown(self) -> bool:
        """Whether a visitor reads this text (search keywords are not shown)."""
        return self.path[-1] not in NOT_SHOWN

    @property
    def missing(self) -> bool:
        """Chinese without English."""
        return bool(self.chinese) and not self.english

    @property
    def mismatched(self) -> bool:
        """An English list that does not give one item per Chinese item (search words
        are free: an English keyword list may be longer or shorter)."""
        return (self.shown and isinstance(self.english, list) and bool(self.english)
                and len(self.english) != len(self.chinese))


def pairs(model: BaseModel, path: tuple[Any, ...] = ()) -> Iterator[Pair]:
    """Every (Chinese, English) pair of a model and of the models inside it."""
    fields = type(model).model_fields
    for name in fields:
        value = getattr(model, name)
        if f"{name}_en" in fields:
            yield Pair((*path, name), value, getattr(model, f"{name}_en"))
        if isinstance(value, BaseModel):
            yield from pairs(value, (*path, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from pairs(item, (*path, name, index))
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    yield from pairs(item, (*path, name, key))


def dotted(path: tuple[Any, ...]) -> str:
    """A path as the loader writes fields: ``nodes.q1.choices.0.label_en``."""
    return ".".join(str(part) for part in path)


def untranslated(content: Any) -> list[tuple[str, str, str]]:
    """(kind, item, field) of every visitor text of a content set without English."""
    found = []
    for kind in VISITOR_KINDS:
        for item in getattr(content, kind, []):
            key = str(getattr(item, "code", None) or getattr(item, "id", None)
                      or getattr(item, "name", ""))
            found += [(kind, key, dotted(p.english_path))
                      for p in pairs(item) if p.shown and p.missing]
    return found
