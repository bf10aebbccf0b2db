"""Answer documents: every guide, FAQ entry, flow and intent as weighted terms.

Built when a bundle is built (``answers.json``), so a terminal never segments
10,000 guides at start-up. Field weights say where a word counts most: in a
guide's title or keywords more than in its list of materials.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from content.answers.segment import tokens
from content.schema import ContentSet, Flow, ResultNode

INDEX_FORMAT = 1
TITLE, KEYWORDS, SUMMARY, BODY, DETAIL = 3.0, 2.5, 1.5, 1.0, 0.4


@dataclass(frozen=True)
class AnswerDoc:
    """One answerable item: its id as the terminal names it, and its weighted terms."""

    id: str
    kind: str
    key: str
    title: str
    title_en: str = ""
    terms: dict[str, float] = field(default_factory=dict)

    @property
    def length(self) -> float:
        """Weighted number of terms, BM25's document length."""
        return sum(self.terms.values())


def _weighted(fields: Iterable[tuple[float, Iterable[str]]]) -> dict[str, float]:
    terms: dict[str, float] = {}
    for weight, texts in fields:
        for text in texts:
            for token in tokens(text):
                terms[token] = terms.get(token, 0.0) + weight
    return {term: round(value, 2) for term, value in terms.items()}


def _flow_texts(flow: Flow) -> list[str]:
    return [node.title for node in flow.nodes.values() if isinstance(node, ResultNode)]


def documents(content: ContentSet) -> list[AnswerDoc]:
    """The answer documents of a content set, in a stable order."""
    docs = [AnswerDoc(g.code, "guide", g.code, g.title, g.title_en or "", _weighted([
        (TITLE, [g.title, g.title_en or ""]), (KEYWORDS, g.keywords),
        (SUMMARY, [g.summary, g.summary_en or ""]),
        (KEYWORDS, g.keywords_en), (BODY, [*g.applicants, *g.applicants_en]),
        (DETAIL, [m.name for m in g.materials]), (DETAIL, [m.name_en or "" for m in g.materials]),
        (DETAIL, [s.title for s in g.steps])])) for g in content.guides]
    docs += [AnswerDoc(q.id, "faq", q.id, q.question, q.question_en or "", _weighted([
        (TITLE, [q.question, q.question_en or ""]), (KEYWORDS, [*q.keywords, *q.keywords_en]),
        (BODY, [q.answer, q.answer_en or ""])]))
        for q in content.faq]
    docs += [AnswerDoc(f"flow:{f.id}", "flow", f.id, f.title, f.title_en or "", _weighted([
        (TITLE, [f.title, f.title_en or ""]), (BODY, [f.intro, f.intro_en or ""]),
        (DETAIL, _flow_texts(f))]))
        for f in content.flows]
    docs += [AnswerDoc(f"intent:{i.name}", "intent", i.name, i.title, i.title_en or "",
                       _weighted([(TITLE, [i.title, i.title_en or ""]),
                                  (KEYWORDS, i.phrases)]))
             for i in content.intents]
    return docs


def dump_documents(docs: list[AnswerDoc]) -> dict[str, Any]:
    """The documents as JSON data for answers.json."""
    return {"format": INDEX_FORMAT, "docs": [
        [d.id, d.kind, d.key, d.title, d.title_en, d.terms] for d in docs]}


def load_documents(data: dict[str, Any]) -> list[AnswerDoc] | None:
    """Documents from answers.json data; None when its format is not this one."""
    if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT:
        return None
    return [AnswerDoc(i, kind, key, title, title_en, dict(terms))
            for i, kind, key, title, title_en, terms in data["docs"]]
