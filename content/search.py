"""Search across guides, FAQ, service points, categories and online services.

Pinyin is computed once, when a bundle is built (:func:`index_rows`); the
terminal only matches. Matching runs ``str.find`` over one string per field
("blob") so a keystroke on 10,000 items costs a few milliseconds: a visitor
types ``FLYZ`` (initials), ``falvyuanzhu`` (full pinyin), ``法律援助`` or an
English word, and gets results ranked by where and how well the query matched.

In English mode a Latin query is English words, not pinyin: each word is matched at
the start of a word of the English title and of the item's English text (summary,
question, materials, district ...), so "divorce" or "legal aid" finds what it says.
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
_NOT_WORD = re.compile(r"[^a-z0-9]+")
# Words too common to narrow an English search ("how do I get a divorce").
STOP_WORDS = frozenset(
    "a an and are as at be can do does for from get how i in is it me my of on or the to "
    "what when where which who will with you your".split())


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
    subtitle_en: str = ""  # optional: rows stored before English search have none
    text_en: str = ""  # English words of the item, lower case, one space between words


@dataclass(frozen=True)
class SearchHit:
    """One result: which item, how it is shown, and its score."""

    kind: str
    key: str
    title: str
    title_en: str
    subtitle: str
    score: int
    subtitle_en: str = ""


def syllables(text: str) -> list[str]:
    """Toneless pinyin syllables of text; letters and digits pass through lower-cased."""
    from pypinyin import Style, lazy_pinyin

    result = []
    for part in lazy_pinyin(text, style=Style.NORMAL, errors="default"):
        result += [p for p in _NOT_PINYIN.split(part.lower()) if p]
    return result


def _pinyin_of(texts: Iterable[str]) -> str:
    return SEGMENT_MARK.join(SYLLABLE_MARK.join(syllables(t)) for t in texts if t)


def english_words(texts: Iterable[str | None]) -> str:
    """English texts as lower-case words separated by single spaces (no Chinese)."""
    return " ".join(w for t in texts if t for w in _NOT_WORD.split(t.lower()) if w)


def _row(kind: str, key: str, title: str, title_en: str | None, subtitle: str,
         keywords: Sequence[str], extra: Sequence[str] = (), subtitle_en: str | None = None,
         english: Sequence[str | None] = ()) -> IndexRow:
    return IndexRow(
        kind=kind, key=key, title=title, title_en=title_en or "", subtitle=subtitle,
        text=SEGMENT_MARK.join([*keywords, *extra]),
        title_pinyin=_pinyin_of([title]), keyword_pinyin=_pinyin_of(keywords),
        subtitle_en=subtitle_en or "", text_en=english_words(english),
    )


def index_rows(content: ContentSet) -> list[IndexRow]:
    """Build the search rows for a content set (pinyin computed here, at build time)."""
    names = {c.code: c.name for c in content.categories}
    names_en = {c.code: c.name_en or "" for c in content.categories}
    rows = [_row("category", c.code, c.name, c.name_en, "", []) for c in content.categories]
    rows += [
        _row("guide", g.code, g.title, g.title_en, names.get(g.category, ""),
             g.keywords, [g.summary, g.code], names_en.get(g.category),
             [*g.keywords_en, g.summary_en, *g.applicants_en,
              *(m.name_en for m in g.materials), *(s.title_en for s in g.steps), g.code])
        for g in content.guides
    ]
    rows += [_row("flow", f.id, f.title, f.title_en, "", [], [f.intro], None, [f.intro_en])
             for f in content.flows]
    rows += [_row("faq", q.id, q.question, q.question_en, names.get(q.category, ""),
                  q.keywords, (), names_en.get(q.category), [*q.keywords_en, q.answer_en])
             for q in content.faq]
    rows += [_row("online", o.id, o.title, o.title_en, o.description, [], (),
                  o.description_en, [o.description_en])
             for o in content.online]
    rows += [_row("point", p.id, p.name, p.name_en, p.address, [p.district, *p.services], (),
                  p.address_en, [p.district_en, p.address_en, *p.services_en])
             for p in content.points]
    return rows


def _stem(word: str) -> str:
    """A query word without a plural or verb ending, so that it finds the other forms."""
    for ending in ("ies", "ing", "ed", "es", "s"):
        if len(word) > len(ending) + 3 and word.endswith(ending):
            return word[: -len(ending)]
    return word


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
        # Word starts are " word": titles and texts as words behind one space each.
        self._english_title_words = _Blob([" " + english_words([r.title_en])
                                           for r in self.rows])
        self._english_text_words = _Blob([" " + r.text_en for r in self.rows])
        self._title_pinyin = _PinyinBlob([r.title_pinyin for r in self.rows])
        self._keyword_pinyin = _PinyinBlob([r.keyword_pinyin for r in self.rows])

    def __len__(self) -> int:
        return len(self.rows)

    def search(self, query: str, limit: int = 40, kinds: Iterable[str] | None = None,
               language: str = "zh") -> list[SearchHit]:
        """Rank the rows matching query, best first; in English ("en") a Latin query is
        English words, elsewhere pinyin (or an English title)."""
        query = query.strip().lower()
        if not query:
            return []
        scores: dict[int, int] = {}

        def score(row: int, value: int) -> None:
            if value > scores.get(row, 0):
                scores[row] = value

        if language == "en" and _ASCII_QUERY.match(query):
            self._match_english(query, score)
        elif _ASCII_QUERY.match(query):
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
        return SearchHit(r.kind, r.key, r.title, r.title_en, r.subtitle, score, r.subtitle_en)

    def _match_english(self, query: str, score: Callable[[int, int], None]) -> None:
        """Every query word at a word start of the English title or text; rows with all
        words rank first, title words above text words; some words only rank low."""
        words = _NOT_WORD.split(query)
        words = [_stem(w) for w in words if w and w not in STOP_WORDS] or \
            [w for w in words if w]
        titled: dict[int, int] = {}
        matched: dict[int, int] = {}
        for word in words:
            in_title = {row for row, _pos in self._english_title_words.hits(" " + word)}
            in_text = {row for row, _pos in self._english_text_words.hits(" " + word)}
            for row in in_title | in_text:
                matched[row] = matched.get(row, 0) + 1
                titled[row] = titled.get(row, 0) + (row in in_title)
        count = len(words)
        for row, found in matched.items():
            if found == count:
                starts = english_words([self.rows[row].title_en]).startswith(" ".join(words))
                score(row, 95 if starts else 70 + 20 * titled[row] // count)
            elif 2 * found >= count:
                score(row, 30 + 20 * found // count)

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
