"""Content model of the law library: laws with chapters and articles, topics, cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from pydantic import Field, model_validator

from content.schema_base import Code, Model, Text

ILLUSTRATION_MARK = "案例为说明性示例"


class LawRef(Model):
    """A structured citation: which law, which articles (a guide's or a case's legal basis)."""

    law: Code
    articles: list[int] = Field(min_length=1)


class Topic(Model):
    """A subject visitors browse laws by (劳动, 婚姻家庭, 法律援助 ...)."""

    code: Code
    name: Text
    name_en: Text | None = None
    order: int = 0
    keywords: list[Text] = Field(default_factory=list)  # words offered as search buttons


class Article(Model):
    """One article: its number, the official text when imported, the project's 释义."""

    number: int = Field(ge=1, le=9999)
    text: str | None = None
    explanation: str | None = None
    explanation_en: str | None = None  # shown in English mode; the Chinese when absent
    topics: list[Code] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_content(self) -> Article:
        """An article with neither text nor explanation has nothing to show."""
        if not (self.text or "").strip() and not (self.explanation or "").strip():
            raise ValueError("an article needs its text, its explanation, or both")
        return self


class Section(Model):
    """A section (节) inside a chapter."""

    number: int = Field(ge=1)
    title: Text
    articles: list[Article] = Field(default_factory=list)


class Chapter(Model):
    """A chapter (章); its articles come before its sections' articles."""

    number: int = Field(ge=1)
    title: Text
    articles: list[Article] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)


class Law(Model):
    """A law or regulation with its metadata and the articles the library holds."""

    code: Code
    title: Text
    title_en: Text | None = None
    short_title: Text | None = None
    short_title_en: Text | None = None
    aliases: list[Text] = Field(default_factory=list)
    issuer: Text
    promulgated: dt.date
    in_force: dt.date
    amended: list[dt.date] = Field(default_factory=list)
    repealed: dt.date | None = None
    topics: list[Code] = Field(min_length=1)
    source: str = ""
    note: str = ""
    articles: list[Article] = Field(default_factory=list)
    chapters: list[Chapter] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Law:
        """A law comes into force on or after it is promulgated, and is repealed later still."""
        if self.in_force < self.promulgated:
            raise ValueError("in_force is before promulgated")
        if self.repealed is not None and self.repealed < self.in_force:
            raise ValueError("repealed is before in_force")
        return self

    def all_articles(self) -> Iterator[tuple[tuple[str | int, ...], Article]]:
        """Every article in document order with its path in the source (for error lines)."""
        for index, article in enumerate(self.articles):
            yield ("articles", index), article
        for c, chapter in enumerate(self.chapters):
            for index, article in enumerate(chapter.articles):
                yield ("chapters", c, "articles", index), article
            for s, section in enumerate(chapter.sections):
                for index, article in enumerate(section.articles):
                    yield ("chapters", c, "sections", s, "articles", index), article

    def names(self) -> list[str]:
        """Every name the law is searched by: title, short title, aliases."""
        names = [self.title, *([self.short_title] if self.short_title else []), *self.aliases]
        if self.title.startswith("中华人民共和国"):
            names.append(self.title.removeprefix("中华人民共和国"))
        return list(dict.fromkeys(names))


class Case(Model):
    """An 以案释法 case: the facts, the question, how the law answers it, what it cites."""

    id: Code
    title: Text
    topics: list[Code] = Field(min_length=1)
    facts: Text
    question: Text
    answer: Text
    # English shown in English mode; each falls back to the Chinese when a province has none
    title_en: Text | None = None
    facts_en: Text | None = None
    question_en: Text | None = None
    answer_en: Text | None = None
    cites: list[LawRef] = Field(min_length=1)
    illustrative: bool = True
    note: str = ILLUSTRATION_MARK
