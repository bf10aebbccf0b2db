"""Answers to questions visitors ask in their own words (智能咨询), from the hall's content.

``index`` turns guides, FAQ entries, flows and intents into weighted term
documents when a bundle is built; ``engine`` ranks them for a question with
BM25 after expanding everyday words through the content's lexicon, and falls
back honestly when no answer is confident. Nothing here imports Kivy.
"""

from __future__ import annotations

from content.answers.engine import Answer, AnswerEngine, AskContext, AskResult
from content.answers.index import AnswerDoc, documents
from content.schema import ContentSet, IntentAction

__all__ = ["Answer", "AnswerDoc", "AnswerEngine", "AskContext", "AskResult", "build_engine"]


def build_engine(content: ContentSet, docs: list[AnswerDoc] | None = None) -> AnswerEngine:
    """The engine for a content set, on precomputed documents when the bundle has them."""
    services = [c.name for c in content.categories]
    services += [g.where.service for g in content.guides]
    flows = {f"intent:{i.name}": f"flow:{i.target}" for i in content.intents
             if i.action == IntentAction.FLOW}
    return AnswerEngine(documents(content) if docs is None else docs, content.lexicon,
                        services, flows)
