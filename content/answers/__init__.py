"""Answers to questions visitors ask in their own words (智能咨询), from the hall's content.

``index`` turns guides, FAQ entries, flows and intents into weighted term
documents when a bundle is built; ``engine`` ranks them for a question with
BM25 after expanding everyday words through the content's lexicon, and falls
back honestly when no answer is confident. Nothing here imports Kivy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from content.answers.index import AnswerDoc, documents
from content.schema import ContentSet, IntentAction

if TYPE_CHECKING:
    from content.answers.engine import Answer, AnswerEngine, AskContext, AskResult

__all__ = ["Answer", "AnswerDoc", "AnswerEngine", "AskContext", "AskResult", "build_engine"]
ENGINE_NAMES = {"Answer", "AnswerEngine", "AskContext", "AskResult"}


def __getattr__(name: str) -> Any:
    """The engine's names, imported on first use: the engine (and numpy) is not needed to
    load content or start the terminal, only to answer the first question."""
    if name in ENGINE_NAMES:
        from content.answers import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_engine(content: ContentSet, docs: list[AnswerDoc] | None = None) -> AnswerEngine:
    """The engine for a content set, on precomputed documents when the bundle has them."""
    from content.answers.engine import AnswerEngine

    services = [c.name for c in content.categories]
    services += [g.where.service for g in content.guides]
    flows = {f"intent:{i.name}": f"flow:{i.target}" for i in content.intents
             if i.action == IntentAction.FLOW}
    return AnswerEngine(documents(content) if docs is None else docs, content.lexicon,
                        services, flows)
