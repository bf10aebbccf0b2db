"""Look-ups and search in the law library: by law, by article number, by words.

Queries understood: "劳动合同法 47", "劳动合同法第四十七条", "第四十七条" or
"47" within a law chosen on screen, and words ("经济补偿") in article text and
释义. Guides citing an article are indexed both ways.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from itertools import repeat

from content.laws.numerals import NUMERAL, parse_number
from content.laws.schema import Article, Case, Law, LawRef

_ARTICLE_QUERY = re.compile(rf"^(.*?)[\s　]*(?:第\s*({NUMERAL})\s*条|({NUMERAL}))[\s　]*$")


@dataclass(frozen=True)
class ArticleHit:
    """One search result: the law, the article, and how well it matched (higher first)."""

    law: Law
    article: Article
    score: float


class LawIndex:
    """Indexes of a content version's laws, cases and guide citations."""

    def __init__(self, laws: list[Law], cases: list[Case],
                 guide_refs: dict[str, list[LawRef]]):
        self.laws = {law.code: law for law in laws}
        self._articles: dict[tuple[str, int], Article] = {}
        self._texts: list[tuple[Law, Article, str]] = []
        for law in laws:
            for _, article in law.all_articles():
                self._articles[(law.code, article.number)] = article
                text = f"{article.text or ''}\n{article.explanation or ''}"
                self._texts.append((law, article, text))
        # A law's articles sit together in _texts: its slice is the scope of a search in it.
        self._plain = [text for _law, _article, text in self._texts]
        self._slices: dict[str, tuple[int, int]] = {}
        for index, (law, _article, _text) in enumerate(self._texts):
            start, _end = self._slices.get(law.code, (index, index))
            self._slices[law.code] = (start, index + 1)
        # Longest names first so 劳动合同法 wins over 劳动法 inside 劳动合同法.
        self._names = sorted(((name, law) for law in laws for name in law.names()),
                             key=lambda pair: -len(pair[0]))
        self._citing: dict[tuple[str, int], list[str]] = {}
        for guide, refs in guide_refs.items():
            for ref in refs:
                for number in ref.articles:
                    self._citing.setdefault((ref.law, number), []).append(guide)
        self._cases: dict[tuple[str, int], list[Case]] = {}
        for case in cases:
            for ref in case.cites:
                for number in ref.articles:
                    self._cases.setdefault((ref.law, number), []).append(case)

    def law(self, code: str) -> Law:
        """One law by code (KeyError when absent)."""
        return self.laws[code]

    def article(self, law: str, number: int) -> Article:
        """One article by law code and number (KeyError when absent)."""
        return self._articles[(law, number)]

    def has_article(self, law: str, number: int) -> bool:
        """Whether the library holds this article (a citation may name one it does not)."""
        return (law, number) in self._articles

    def guides_citing(self, law: str, number: int) -> list[str]:
        """Codes of the guides whose legal_refs cite this article, in content order."""
        return list(dict.fromkeys(self._citing.get((law, number), [])))

    def cases_citing(self, law: str, number: int) -> list[Case]:
        """Cases that cite this article."""
        return self._cases.get((law, number), [])

    def find_law(self, text: str) -> tuple[Law | None, str]:
        """The law a query starts with (by any of its names) and the rest of the query."""
        text = text.strip().strip("《》")
        for name, law in self._names:
            for form in (name, f"《{name}》"):
                if text.startswith(form):
                    return law, text[len(form):].strip()
        return None, text

    def search(self, query: str, within: str | None = None, limit: int = 20
               ) -> list[ArticleHit]:
        """Articles matching a query: by number when it names one, else by words."""
        law, rest = self.find_law(query)
        scope = law.code if law is not None else within
        match = _ARTICLE_QUERY.match(rest.replace("《", "").replace("》", ""))
        if match and not match.group(1).strip():
            number = parse_number(match.group(2) or match.group(3) or "")
            if number is not None and scope is not None:
                article = self._articles.get((scope, number))
                return [ArticleHit(self.laws[scope], article, 1.0)] if article else []
            if number is not None:
                return [ArticleHit(self.laws[code], a, 1.0)
                        for (code, n), a in self._articles.items() if n == number][:limit]
        if law is not None and not rest:
            return [ArticleHit(law, a, 1.0) for _, a in law.all_articles()][:limit]
        return self._word_search(rest, scope, limit)

    def _word_search(self, words: str, scope: str | None, limit: int) -> list[ArticleHit]:
        """Articles holding every word, the most occurrences first (ties in document order).
        Counting runs as map(str.count) over the texts, and ArticleHits are made for the
        best only: a word found in thousands of articles stays fast."""
        terms = [t for t in re.split(r"[\s　,，、]+", words) if t]
        if not terms:
            return []
        start, end = self._slices.get(scope, (0, 0)) if scope is not None \
            else (0, len(self._plain))
        texts = self._plain[start:end]
        per_term = [list(map(str.count, texts, repeat(term))) for term in terms]
        totals = per_term[0] if len(per_term) == 1 else \
            [sum(counts) if all(counts) else 0 for counts in zip(*per_term, strict=True)]
        best = heapq.nlargest(limit, range(len(totals)), key=totals.__getitem__)
        return [ArticleHit(self._texts[start + i][0], self._texts[start + i][1],
                           float(totals[i])) for i in best if totals[i]]
