"""Search across guides, FAQ, service points, categories and online services.

Pinyin is computed once, when a bundle is built (:func:`index_rows`); the
terminal only matches. Matching runs ``str.find`` over one string per field
("blob") so a keystroke on 10,000 items costs a few milliseconds: a visitor
types ``FLYZ`` (initials), ``falvyuanzhu`` (full pinyin), ``法律援助`` or an
English word, and gets results ranked by where and how well the query matched.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from content.schema import ContentSet

SYLLABLE_MARK = "'"
SEGMENT_MARK = "|"
KIND_ORDER = {"category": 0, "guide": 1, "flow": 2, "faq": 3, "online": 4, "point": 5}
_NOT_PINYIN = re.compile(r"[^a-z0-9]+")
_ASCII_QUERY = re.compile(r"^[a-z0-9 ]+$")


@dataclass(frozen=True)
class IndexRow:
    """One searchable item with its text and precomputed pinyin."""

    kind: str
    key: str
    title: str
    title_en: str
    subtitle: str
    text: str
    title_pinyin: str
    keyword_pinyin: str


@dataclass(frozen=True)
class SearchHit:
    """One result: which item, how it is shown, and its score."""

    kind: str
    key: str
    title: str
    title_en: str
    subtitle: str
    score: int


def syllables(text: str) -> list[str]:
    """Toneless pinyin syllables of text; letters and digits pass through lower-cased."""
    from pypinyin import Style, lazy_pinyin

    result = []
    for part in lazy_pinyin(text, style=Style.NORMAL, errors="default"):
        result += [p for p in _NOT_PINYIN.split(part.lower()) if p]
    return result


def _pinyin_of(texts: Iterable[str]) -> str:
    return SEGMENT_MARK.join(SYLLABLE_MARK.join(syllables(t)) for t in texts if t)


def _row(kind: str, key: str, title: str, title_en: str | None, subtitle: str,
         keywords: Sequence[str], extra: Sequence[str] = ()) -> IndexRow:
    return IndexRow(
        kind=kind, key=key, title=title, title_en=title_en or "", subtitle=subtitle,
        text=SEGMENT_MARK.join([*keywords, *extra]),
        title_pinyin=_pinyin_of([title]), keyword_pinyin=_pinyin_of(keywords),
    )


def index_rows(content: ContentSet) -> list[IndexRow]:
    """Build the search rows for a content set (pinyin computed here, at build time)."""
    names = {c.code: c.name for c in content.categories}
    rows = [_row("category", c.code, c.name, c.name_en, "", []) for c in content.categories]
    rows += [
        _row("guide", g.code, g.title, g.title_en, names.get(g.category, ""),
             g.keywords, [g.summary, g.code])
        for g in content.guides
    ]
    rows += [_row("flow", f.id, f.title, f.title_en, "", [], [f.intro]) for f in content.flows]
    rows += [_row("faq", q.id, q.question, None, names.get(q.category, ""), q.keywords)
             for q in content.faq]
    rows += [_row("online", o.id, o.title, o.title_en, o.description, [])
             for o in content.online]
    rows += [_row("point", p.id, p.name, None, p.address, [p.district, *p.services])
             for p in content.points]
    return rows


class _Blob:
    """Many rows' values of one field joined, with the offset where each row starts.

    The text begins with a newline so that every row start is preceded by one,
    which makes "rows starting with x" a single ``find`` of "\\nx".
    """

    def __init__(self, values: Sequence[str]):
        self.text = "\n" + "\n".join(values)
        self.starts: list[int] = []
        offset = 1
        for value in values:
            self.starts.append(offset)
            offset += len(value) + 1

    def hits(self, needle: str, accept: Callable[[int], object] | None = None
             ) -> Iterator[tuple[int, int]]:
        """(row, position in row) of the first acceptable occurrence of needle in each row."""
        find, starts, count = self.text.find, self.starts, len(self.starts)
        pos = find(needle)
        while pos >= 0:
            row = bisect_right(starts, pos) - 1
            if accept is None or accept(pos):
                yield row, pos - starts[row]
                pos = find(needle, starts[row + 1]) if row + 1 < count else -1
            else:
                pos = find(needle, pos + 1)

    def segment_starts(self, needle: str, mark: str = "\n") -> Iterator[int]:
        """Rows where the value, or a segment after mark, starts with needle."""
        seen: set[int] = set()
        for prefix in {"\n", mark}:
            for row, _pos in self.hits(prefix + needle):
                if row not in seen:
                    seen.add(row)
                    yield row


class _PinyinBlob:
    """Pinyin of many rows without syllable marks, knowing where each syllable starts."""

    def __init__(self, values: Sequence[str]):
        plain, initials = [], []
        syllable_starts = bytearray()
        for value in values:
            row_plain: list[str] = []
            row_initials: list[str] = []
            for index, segment in enumerate(value.split(SEGMENT_MARK) if value else []):
                if index:
                    row_plain.append(SEGMENT_MARK)
                    row_initials.append(SEGMENT_MARK)
                    syllable_starts.append(0)
                for syllable in filter(None, segment.split(SYLLABLE_MARK)):
                    row_plain.append(syllable)
                    row_initials.append(syllable[0])
                    syllable_starts += b"\x01" + bytes(len(syllable) - 1)
            plain.append("".join(row_plain))
            initials.append("".join(row_initials))
            syllable_starts.append(0)  # the newline between rows
        self.full = _Blob(plain)
        self.initials = _Blob(initials)
        self.syllable_starts = b"\x00" + bytes(syllable_starts)  # the blob's leading newline

    def full_hits(self, needle: str) -> Iterator[tuple[int, int]]:
        """The first match of needle in each row's full pinyin that begins on a syllable."""
        return self.full.hits(needle, self.syllable_starts.__getitem__)

    def initials_hits(self, needle: str) -> Iterator[tuple[int, int]]:
        """Matches of needle in the initials (every position starts a syllable)."""
        return self.initials.hits(needle)


class SearchIndex:
    """In-memory search over index rows; safe to share for reading."""

    def __init__(self, rows: Sequence[IndexRow]):
        self.rows = list(rows)
        self._titles = _Blob([r.title for r in self.rows])
        self._text = _Blob([f"{r.subtitle}{SEGMENT_MARK}{r.text}" for r in self.rows])
        self._english = _Blob([r.title_en.lower() for r in self.rows])
        self._title_pinyin = _PinyinBlob([r.title_pinyin for r in self.rows])
        self._keyword_pinyin = _PinyinBlob([r.keyword_pinyin for r in self.rows])

    def __len__(self) -> int:
        return len(self.rows)

    def search(self, query: str, limit: int = 40, kinds: Iterable[str] | None = None
               ) -> list[SearchHit]:
        """Rank the rows matching query, best first."""
        query = query.strip().lower()
        if not query:
            return []
        scores: dict[int, int] = {}

        def score(row: int, value: int) -> None:
            if value > scores.get(row, 0):
                scores[row] = value

        if _ASCII_QUERY.match(query):
            self._match_latin(query, score)
        else:
            self._match_chinese(query, score)
        wanted = set(kinds) if kinds else None
        rows = self.rows
        ranked = heapq.nsmallest(
            limit,
            (r for r in scores if wanted is None or rows[r].kind in wanted),
            key=lambda r: (-scores[r], KIND_ORDER.get(rows[r].kind, 9), len(rows[r].title), r),
        )
        return [self._hit(r, scores[r]) for r in ranked]

    def _hit(self, row: int, score: int) -> SearchHit:
        r = self.rows[row]
        return SearchHit(r.kind, r.key, r.title, r.title_en, r.subtitle, score)

    def _match_chinese(self, query: str, score: Callable[[int, int], None]) -> None:
        for row, pos in self._titles.hits(query):
            exact = len(self.rows[row].title) == len(query)
            score(row, 100 if exact else 90 if pos == 0 else 75)
        for row, _pos in self._text.hits(query):
            score(row, 50)

    def _match_latin(self, query: str, score: Callable[[int, int], None]) -> None:
        compact = query.replace(" ", "")
        title, keywords = self._title_pinyin, self._keyword_pinyin
        if len(compact) == 1:
            # One letter anywhere inside a title is noise: match word and keyword starts only.
            for row in title.initials.segment_starts(compact):
                score(row, 88)
            for row in self._english.segment_starts(compact, " "):
                score(row, 84)
            for row in keywords.initials.segment_starts(compact, SEGMENT_MARK):
                score(row, 55)
            return
        for row, pos in title.initials_hits(compact):
            score(row, 88 if pos == 0 else 70)
        for row, pos in title.full_hits(compact):
            score(row, 86 if pos == 0 else 68)
        for row, _pos in keywords.initials_hits(compact):
            score(row, 55)
        for row, _pos in keywords.full_hits(compact):
            score(row, 55)
        for row, pos in self._english.hits(query):
            english = self.rows[row].title_en.lower()
            at_word = pos == 0 or not english[pos - 1].isalnum()
            score(row, 84 if pos == 0 else 60 if at_word else 40)
