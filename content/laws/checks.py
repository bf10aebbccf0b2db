"""Cross-checks of the law library, each error at the line of the field to fix.

Article numbers in order and unique within a law, chapters and sections
numbered in order, topics that exist, and citations (a case's, a guide's)
that name a law and an article the library holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from content.laws.numerals import article_label, to_chinese
from content.laws.schema import Law

if TYPE_CHECKING:
    from content.collector import Collector, Item


def check_library(col: Collector) -> None:
    """Record every law-library error in the collector."""
    valid = [i for i in col.items if i.model is not None]
    topics = col.declared("topics")
    laws = {i.model.code: i.model for i in valid if i.kind == "laws"}
    declared_laws = col.declared("laws")
    for item in valid:
        if item.kind == "laws":
            _check_law(col, item, topics)
        elif item.kind == "cases":
            _check_topics(col, item, ("topics",), item.model.topics, topics)
            _check_refs(col, item, "cites", item.model.cites, laws, declared_laws)
        elif item.kind == "guides" and item.model.legal_refs:
            _check_refs(col, item, "legal_refs", item.model.legal_refs, laws, declared_laws)


def _check_topics(col: Collector, item: Item, path: tuple[Any, ...], codes: list[str],
                  topics: set[str]) -> None:
    for index, code in enumerate(codes):
        if code not in topics:
            col.error_at(item, (*path, index), f"没有这个专题 {code!r} / unknown topic {code!r}")


def _check_law(col: Collector, item: Item, topics: set[str]) -> None:
    law: Law = item.model
    if item.path.stem != law.code:
        col.error_at(item, ("code",), "文件名应为法规代码加 .yaml / "
                     "file name must be the law code followed by .yaml")
    _check_topics(col, item, ("topics",), law.topics, topics)
    for what, numbers in (("chapter", [c.number for c in law.chapters]),):
        for index, number in enumerate(numbers):
            if number != index + 1:
                col.error_at(item, ("chapters", index, "number"),
                             f"章序错误：第{to_chinese(number)}章处应为第{to_chinese(index + 1)}"
                             f"章 / {what} {number} out of order: expected {index + 1}")
    for c, chapter in enumerate(law.chapters):
        for s, section in enumerate(chapter.sections):
            if section.number != s + 1:
                col.error_at(item, ("chapters", c, "sections", s, "number"),
                             f"节序错误：第{to_chinese(section.number)}节处应为第"
                             f"{to_chinese(s + 1)}节 / section {section.number} out of order: "
                             f"expected {s + 1}")
    seen: dict[int, tuple[Any, ...]] = {}
    previous = 0
    for path, article in law.all_articles():
        number = article.number
        if number in seen:
            col.error_at(item, (*path, "number"), f"条号重复：{article_label(number)} / "
                         f"duplicate article {article_label(number)} ({number})")
        elif number < previous:
            col.error_at(item, (*path, "number"), f"条号顺序错误：{article_label(number)}排在"
                         f"{article_label(previous)}之后 / article {article_label(number)} "
                         f"({number}) out of order: it follows article {previous}")
        seen.setdefault(number, path)
        previous = max(previous, number)
        _check_topics(col, item, (*path, "topics"), article.topics, topics)


def _check_refs(col: Collector, item: Item, field: str, refs: list[Any],
                laws: dict[str, Law], declared: set[str]) -> None:
    for index, ref in enumerate(refs):
        if ref.law not in declared:
            col.error_at(item, (field, index, "law"),
                         f"法律库中没有这部法规 {ref.law!r} / unknown law {ref.law!r}")
            continue
        law = laws.get(ref.law)
        if law is None:
            continue  # the law file itself has errors, reported there
        numbers = {a.number for _, a in law.all_articles()}
        for position, number in enumerate(ref.articles):
            if number not in numbers:
                col.error_at(item, (field, index, "articles", position),
                             f"法规 {ref.law!r} 中没有{article_label(number)} / "
                             f"unknown article {article_label(number)} ({number}) of "
                             f"{ref.law!r}")
