"""Score the engine on an evaluation set: top-1, top-3 and fallback precision."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from content.answers.engine import AnswerEngine


@dataclass(frozen=True)
class EvalQuestion:
    """A question, the answer ids that count as right ([] means only the fallback is)."""

    question: str
    right: tuple[str, ...]
    holdout: bool = False


@dataclass
class EvalFigures:
    """Counts over one part of an evaluation set."""

    answerable: int = 0
    top1: int = 0
    top3: int = 0
    fallbacks_on_answerable: int = 0
    unanswerable: int = 0
    wrong_confident: int = 0  # a confident answer to a question the content cannot answer
    misses: list[str] = field(default_factory=list)

    def rate(self, count: int, total: int) -> float:
        """count / total, 0 when total is 0."""
        return count / total if total else 0.0

    def summary(self) -> str:
        """One line: top-1, top-3, fallbacks, wrong confident answers."""
        return (f"top-1 {self.rate(self.top1, self.answerable):.1%}, top-3 "
                f"{self.rate(self.top3, self.answerable):.1%} of {self.answerable} answerable "
                f"({self.fallbacks_on_answerable} fell back); wrong confident answers "
                f"{self.wrong_confident}/{self.unanswerable} no-answer questions "
                f"({self.rate(self.wrong_confident, self.unanswerable):.1%})")


def load_eval(path: Path | str) -> list[EvalQuestion]:
    """The evaluation set from its YAML file."""
    data: list[dict[str, Any]] = yaml.safe_load(Path(path).read_text("utf-8"))
    return [EvalQuestion(str(d["q"]), tuple(d.get("right") or ()), bool(d.get("holdout")))
            for d in data]


def _right(engine: AnswerEngine, right: tuple[str, ...]) -> tuple[str, ...]:
    return right + tuple(engine.same_as.get(i, "") for i in right)


def evaluate(engine: AnswerEngine, questions: Iterable[EvalQuestion]) -> EvalFigures:
    """Ask every question once (no context) and count what came back."""
    figures = EvalFigures()
    for item in questions:
        result = engine.ask(item.question)
        ids = [engine.same_as.get(a.id, a.id) for a in result.answers]
        if not item.right:
            figures.unanswerable += 1
            if not result.fallback:
                figures.wrong_confident += 1
                figures.misses.append(f"{item.question} -> {ids[:1]} (no answer expected)")
            continue
        figures.answerable += 1
        figures.fallbacks_on_answerable += result.fallback
        right = _right(engine, item.right)
        hit1 = bool(ids) and ids[0] in right
        hit3 = any(i in right for i in ids[:3])
        figures.top1 += hit1
        figures.top3 += hit3
        if not hit3:
            near = [a.id for a in result.candidates][:3]
            figures.misses.append(f"{item.question} -> {ids or 'fallback'} {near} "
                                  f"(right: {', '.join(item.right[:3])})")
    return figures
