"""Rank the content's answers for a question in everyday words, or fall back honestly.

A question is cut into *concepts*: each lexicon word found in it (with the
content terms it stands for) and each remaining word. A document scores the
BM25 weight of its best-matching term per concept; the answer is confident
only when the top document covers most of the question's concepts (weighted
by how rare their terms are, unknown words weighing most) and scores enough
in absolute terms. Otherwise the terminal offers 12348, a ticket for 法律咨询
and the search screen: a wrong confident answer is worse than that.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from content.answers.followup import facet_of, is_follow_up, without_facet_words
from content.answers.index import AnswerDoc
from content.answers.segment import tokens, word_groups
from content.answers.text import drop_private, normalize
from content.schema import LexiconEntry

K1, B = 1.2, 0.75
MIN_COVERAGE = 0.6  # share of the question's weight the top answer must match
MIN_SCORE = 4.0  # and its BM25 score, so that one common word is not an answer
MIN_ANCHOR = 2.0  # and match some word in its title or keywords (weighted tf), not only in passing
MAX_ANSWERS = 3
TICKET = "intent:ticket"
FALLBACK_ACTIONS = ("call:12348", "ticket:法律咨询", "search")


@dataclass(frozen=True)
class Answer:
    """One ranked answer, naming its source item; facet is the part of a guide to show."""

    id: str
    kind: str
    key: str
    title: str
    score: float
    coverage: float
    anchor: float = 0.0  # the highest weighted tf among the matched terms
    facet: str = ""
    service: str = ""


@dataclass(frozen=True)
class AskResult:
    """What the terminal shows for one question: answers, or the fallback and its actions."""

    question: str
    answers: list[Answer]
    fallback: bool
    candidates: list[Answer] = field(default_factory=list)  # below the threshold
    actions: tuple[str, ...] = ()

    @property
    def context(self) -> AskContext | None:
        """What the next question may refer to ("那要带什么材料？"), for one turn."""
        if self.fallback or not self.answers:
            return None
        return AskContext(self.question, self.answers[0].id, self.answers[0].kind)


@dataclass(frozen=True)
class AskContext:
    """The previous question and its top answer."""

    question: str
    answer_id: str
    kind: str


@dataclass(frozen=True)
class _Concept:
    weight: float
    terms: tuple[str, ...]


def lexicon_map(entries: Iterable[LexiconEntry]) -> dict[str, tuple[str, ...]]:
    """Word to content terms; a later entry's word replaces an earlier one (overlays)."""
    mapping: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        for word in entry.words:
            mapping[normalize(word)] = tuple(entry.terms)
    return mapping


class AnswerEngine:
    """BM25 over answer documents with lexicon expansion, a threshold and one-turn context."""

    def __init__(self, docs: list[AnswerDoc], lexicon: Iterable[LexiconEntry] = (),
                 services: Iterable[str] = (), same_as: dict[str, str] | None = None):
        self.docs = docs
        self.same_as = same_as or {}  # an intent that starts a flow is that flow
        self._by_id = {d.id: i for i, d in enumerate(docs)}
        self.lexicon = lexicon_map(lexicon)
        self._words = sorted(self.lexicon, key=len, reverse=True)
        self._expansions = {w: tuple(dict.fromkeys(
            t for text in (w, *terms) for t in tokens(text))) for w, terms in self.lexicon.items()}
        self.services = sorted(set(services), key=len, reverse=True)
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        lengths = [d.length for d in docs]
        average = (sum(lengths) / len(lengths)) if lengths else 1.0
        for index, doc in enumerate(docs):
            for term, tf in doc.terms.items():
                postings[term].append((index, tf))
        count = len(docs)
        self._idf = {t: math.log(1 + (count - len(p) + 0.5) / (len(p) + 0.5))
                     for t, p in postings.items()}
        # Each posting's BM25 gain is fixed by the document, so it is computed once here;
        # arrays hold 10,000 documents' postings in a fifth of the memory of tuples.
        norm = [K1 * (1 - B + B * length / (average or 1.0)) for length in lengths]
        self._gains: dict[str, tuple[array[int], array[float]]] = {}
        for term, entries in postings.items():
            idf = self._idf[term] * (K1 + 1)
            self._gains[term] = (array("i", [index for index, _tf in entries]),
                                 array("f", [idf * tf / (tf + norm[index])
                                             for index, tf in entries]))
        self._unknown_idf = 0.7 * math.log(1 + (count + 0.5) / 0.5)

    def concepts(self, question: str) -> list[_Concept]:
        """The question's lexicon words (expanded) and remaining words, each weighted."""
        text = normalize(drop_private(question))
        found: list[tuple[str, ...]] = []
        for word in self._words:
            if word in text:
                found.append(self._expansions[word])
                text = text.replace(word, " ")
        found += word_groups(text)
        result = []
        for terms in found:
            known = [self._idf[t] for t in terms if t in self._idf]
            if terms:
                result.append(_Concept(max(known) if known else self._unknown_idf, terms))
        return result

    def _raises_unknown(self, text: str) -> bool:
        """Whether text has a word that no answer uses ("宇宙飞船怎么买"): it is about
        something else, so it must not borrow the previous question's topic."""
        return any(not any(t in self._idf for t in c.terms) for c in self.concepts(text))

    def _score(self, concepts: list[_Concept]) -> tuple[np.ndarray, np.ndarray]:
        """BM25 per document (best term per concept plus a little of the others) and
        coverage, as arrays over the documents (0 where no concept matched). With 10,000
        documents a common word has thousands of postings: whole-array arithmetic does in
        microseconds what a Python loop over them does in milliseconds, with the same sums
        in the same order."""
        count = len(self.docs)
        scores, covered = np.zeros(count), np.zeros(count)
        total = sum(c.weight for c in concepts) or 1.0
        for concept in concepts:
            postings = [self._gains[t] for t in concept.terms if t in self._gains]
            if not postings:
                continue
            best, rest = np.zeros(count), np.zeros(count)
            for indexes, gains in postings:
                term = np.zeros(count)
                term[np.frombuffer(indexes, dtype=np.int32)] = np.frombuffer(gains,
                                                                             dtype=np.float32)
                rest += np.minimum(best, term)  # the weaker of this term and the best so far
                np.maximum(best, term, out=best)
            hit = best > 0  # gains are > 0
            scores[hit] += best[hit] + 0.2 * rest[hit]
            covered[hit] += concept.weight / total
        return scores, covered

    def _anchor(self, index: int, concepts: list[_Concept]) -> float:
        """The highest weighted tf of a question term in a document (title, keywords ...)."""
        terms = self.docs[index].terms
        return max((terms.get(t, 0.0) for c in concepts for t in c.terms), default=0.0)

    def rank(self, question: str) -> list[Answer]:
        """Every matching answer, best first (no threshold)."""
        concepts = self.concepts(question)
        scores, covered = self._score(concepts)
        service = self._service(question, concepts)
        ticket = self._by_id.get(TICKET)
        if service and ticket is not None and scores[ticket] > 0:
            # "取号办公证": the service named is the ticket's slot, not an unmatched word.
            total = sum(c.weight for c in concepts) or 1.0
            slot = sum(c.weight for c in concepts if any(service in t or t in service
                                                         for t in c.terms))
            covered[ticket] = min(1.0, covered[ticket] + slot / total)
        matched = np.flatnonzero(scores)
        final = scores[matched] * (0.5 + covered[matched])
        if len(matched) > 10:  # the ten best, ties kept so the order below decides them
            keep = final >= np.partition(final, len(final) - 10)[len(final) - 10]
            matched, final = matched[keep], final[keep]
        order = np.lexsort((matched, -final))[:10]  # best first, then by document
        return [self._answer(int(i), float(f), float(covered[i]), service,
                             self._anchor(int(i), concepts))
                for i, f in zip(matched[order], final[order], strict=True)]

    def _answer(self, index: int, score: float, coverage: float, service: str = "",
                anchor: float = 0.0, facet: str = "") -> Answer:
        doc = self.docs[index]
        return Answer(doc.id, doc.kind, doc.key, doc.title, round(score, 2),
                      round(min(coverage, 1.0), 3), anchor, facet,
                      service if doc.id == TICKET else "")

    def _service(self, question: str, concepts: list[_Concept]) -> str:
        """The service a ticket is asked for, when the question names one."""
        text = normalize(question) + " " + " ".join(t for c in concepts for t in c.terms)
        return next((name for name in self.services if name in text), "")

    def ask(self, question: str, context: AskContext | None = None) -> AskResult:
        """The confident answers to a question, or the fallback (with candidates)."""
        ranked = self.rank(question)
        confident = bool(ranked) and ranked[0].coverage >= MIN_COVERAGE \
            and ranked[0].score >= MIN_SCORE and ranked[0].anchor >= MIN_ANCHOR
        if context is not None and is_follow_up(question):
            followed = self._follow(question, context, confident)
            if followed is not None:
                return followed
        if not confident:
            return AskResult(question, [], True, ranked[:MAX_ANSWERS], FALLBACK_ACTIONS)
        top = ranked[0].score
        answers = [a for a in ranked[:MAX_ANSWERS] if a.score >= top * 0.35]
        return AskResult(question, answers, False)

    def _follow(self, question: str, context: AskContext, confident: bool
                ) -> AskResult | None:
        """A follow-up: the previous guide's part asked for, or both questions together."""
        facet = facet_of(question)
        refers = not confident or not self.concepts(without_facet_words(question))
        if facet and refers and context.kind == "guide" and context.answer_id in self._by_id:
            answer = self._answer(self._by_id[context.answer_id], 100.0, 1.0, facet=facet)
            return AskResult(question, [answer], False)
        if confident or self._raises_unknown(without_facet_words(question)):
            return None  # a new matter the content does not know: the honest fallback
        merged = self.ask(f"{context.question} {question}")
        return AskResult(question, merged.answers, merged.fallback, merged.candidates,
                         merged.actions)
