"""A pinyin input method for the on-screen keyboard: letters to ranked Chinese candidates.

The visitor types toneless pinyin ("laoban", "qian gongzi"); the letters are cut into
syllables (the last one may be unfinished) and the candidates are the words whose
readings start the same way, longest match first and the most common first within a
length, then single characters. Choosing a candidate consumes its syllables' letters.

Words and frequencies come from jieba's dictionary, readings from pypinyin's data
(its phrase readings where it has them, else every reading of each character), and
the hall's own words (lexicon, titles) rank above everyday words. Nothing here
imports Kivy; building the table takes about a second, so do it off the UI thread.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import sqlite3
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

MIN_FREQUENCY = 30  # jieba words rarer than this are left out (about 60,000 remain)
MAX_WORD = 6  # characters
MAX_READINGS = 4  # reading combinations indexed per word without a phrase reading
HALL_BOOST = 10_000_000  # the hall's own words above any everyday word
RARE_READING = 6.0  # log-frequency taken off per uncommon reading of a character
SPLIT_PENALTY = 18.0  # about log(all words counted): a word's score becomes a log-probability
SEPARATOR = "'"

log = logging.getLogger(__name__)
K = TypeVar("K", contravariant=True)
V = TypeVar("V", covariant=True)


class _Get(Protocol[K, V]):
    """What the input reads of a table: ``get(key, default)``."""

    def get(self, key: K, default: Any, /) -> V: ...


Entries = list[tuple[str, float]]
Table = _Get[tuple[str, ...], Entries]  # reading -> words and scores, best first
Initials = _Get[str, list[tuple[tuple[str, ...], str, float]]]  # flyz -> reading, word, score


class _DiskTable:
    """A table read from the input's file: key -> rows, the recent ones cached."""

    def __init__(self, lookup: Any, encode: Callable[[Any], str]):
        self._lookup, self._encode = lookup, encode

    def get(self, key: Any, default: Any = None) -> Any:
        return self._lookup.get(self._encode(key)) or default


def _normal(reading: str) -> str:
    """A tone-marked reading without tones, ü written v (as typed)."""
    from pypinyin.style._tone_convert import to_normal

    return str(to_normal(reading)).replace("ü", "v")


@dataclass(frozen=True)
class Candidate:
    """A word or character to insert, and how many typed letters it consumes."""

    text: str
    consumed: int


class PinyinIME:
    """Pinyin letters to candidates, on a table of (word, frequency) pairs."""

    def __init__(self, words: Iterable[tuple[str, int]],
                 readings: dict[str, list[str]], phrases: dict[str, list[str]] | None = None):
        """words with frequencies; readings: character -> its toneless readings;
        phrases: word -> the toneless reading of each character, where known."""
        self.readings = readings
        phrases = phrases or {}
        table: dict[tuple[str, ...], dict[str, float]] = defaultdict(dict)
        for word, frequency in words:
            for key, rare in self._keys(word, phrases.get(word)):
                entry = table[key]
                # a character's less common readings rank its words far lower
                score = math.log(frequency + 1) - RARE_READING * rare
                entry[word] = max(score, entry.get(word, -math.inf))
        self.table: Table = {key: sorted(entry.items(), key=lambda i: (-i[1], i[0]))
                             for key, entry in table.items()}
        # abbreviations (flyz): words by the first letter of each syllable
        initials: dict[str, list[tuple[tuple[str, ...], str, float]]] = defaultdict(list)
        for key, entries in self.table.items():
            if len(key) > 1:
                for word, score in entries:
                    initials["".join(s[0] for s in key)].append((key, word, score))
        for found in initials.values():
            found.sort(key=lambda i: (-i[2], i[1]))
        self.initials: Initials = dict(initials)
        self._set_syllables(frozenset(s for values in readings.values() for s in values))

    @classmethod
    def open(cls, path: Path) -> PinyinIME:
        """The input on the tables ``write_tables`` stored in path (read from the file)."""
        from content import wordstore

        db = wordstore.open_readonly(path, "entries", "initials")
        try:
            syllables = frozenset(json.loads(wordstore.meta(db, "syllables")))
        except ValueError as exc:
            raise wordstore.WordStoreError(f"{path}: no syllables") from exc
        lock = threading.Lock()
        ime = cls.__new__(cls)
        ime.readings = {}
        ime.table = _DiskTable(wordstore.Lookup(
            db, lock, "SELECT w, s FROM entries WHERE k = ? ORDER BY r",
            lambda rows: [(w, s) for w, s in rows]), lambda key: SEPARATOR.join(key))
        ime.initials = _DiskTable(wordstore.Lookup(
            db, lock, "SELECT k, w, s FROM initials WHERE a = ? ORDER BY r",
            lambda rows: [(tuple(k.split(SEPARATOR)), w, s) for k, w, s in rows]), str)
        ime._set_syllables(syllables)
        return ime

    def _set_syllables(self, syllables: frozenset[str]) -> None:
        self.syllables = syllables
        self._by_prefix: dict[str, list[str]] = defaultdict(list)
        for syllable in sorted(self.syllables):
            for end in range(1, len(syllable) + 1):
                self._by_prefix[syllable[:end]].append(syllable)
        self._longest = max((len(s) for s in self.syllables), default=1)

    def _keys(self, word: str, phrase: list[str] | None) -> list[tuple[tuple[str, ...], int]]:
        """The readings a word is typed as, each with its number of uncommon readings."""
        if phrase is not None and len(phrase) == len(word):
            return [(tuple(phrase), 0)]
        options = [self.readings.get(char) for char in word]
        if any(not o for o in options):
            return []
        ranked = [list(enumerate(o or [])) for o in options]
        limit = None if len(word) == 1 else MAX_READINGS
        return [(tuple(r for _i, r in combo), sum(1 for i, _r in combo if i))
                for combo in itertools.islice(itertools.product(*ranked), limit)]

    def split(self, letters: str) -> list[str]:
        """The letters cut into pieces: whole syllables where possible, else syllable
        beginnings (flyz for 法律援助). A separator (') forces a cut."""
        pieces: list[str] = []
        for part in letters.lower().split(SEPARATOR):
            pieces += self._split_part("".join(c for c in part if "a" <= c <= "z"))
        return pieces

    def _split_part(self, text: str) -> list[str]:
        # cost: a whole syllable 1, a syllable's beginning 1.5 (fewest, most complete pieces)
        best: list[tuple[float, list[str]] | None] = [None] * (len(text) + 1)
        best[0] = (0.0, [])
        for end in range(1, len(text) + 1):
            for start in range(max(0, end - self._longest), end):
                before = best[start]
                piece = text[start:end]
                if before is None or piece not in self._by_prefix:
                    continue
                cost = before[0] + (1.0 if piece in self.syllables else 1.5)
                current = best[end]
                if current is None or cost < current[0]:
                    best[end] = (cost, [*before[1], piece])
            if best[end] is None:  # a letter no syllable starts with: skip it
                best[end] = best[end - 1]
        final = best[-1]
        return final[1] if final is not None else []

    def _words(self, pieces: list[str]) -> list[tuple[str, float]]:
        """Words read as these pieces (unfinished pieces match any syllable they begin)."""
        if all(p in self.syllables for p in pieces):
            return self.table.get(tuple(pieces), [])
        open_at = [i for i, p in enumerate(pieces) if p not in self.syllables]
        if open_at == [len(pieces) - 1]:
            head = tuple(pieces[:-1])
            found: list[tuple[str, float]] = []
            for syllable in self._by_prefix.get(pieces[-1], []):
                found += self.table.get((*head, syllable), [])
            return sorted(found, key=lambda i: -i[1])
        if len(pieces) == 1:
            return []
        return [(word, score) for key, word, score in
                self.initials.get("".join(p[0] for p in pieces), [])
                if all(s.startswith(p) for s, p in zip(key, pieces, strict=True))]

    def _sentence(self, pieces: list[str]) -> str:
        """The most likely words for all pieces together (for a whole typed phrase)."""
        best: list[tuple[float, str] | None] = [None] * (len(pieces) + 1)
        best[0] = (0.0, "")
        for end in range(1, len(pieces) + 1):
            for start in range(max(0, end - MAX_WORD), end):
                before = best[start]
                words = self._words(pieces[start:end]) if before is not None else []
                if before is None or not words:
                    continue
                word, score = words[0]
                # a longer word beats several short ones of the same likelihood
                total = before[0] + score - SPLIT_PENALTY
                current = best[end]
                if current is None or total > current[0]:
                    best[end] = (total, before[1] + word)
        final = best[-1]
        return final[1] if final is not None else ""

    def candidates(self, letters: str, limit: int = 40) -> list[Candidate]:
        """Ranked candidates for the typed letters: the whole phrase, then the longest
        words from the start, then single characters."""
        pieces = self.split(letters)
        if not pieces:
            return []
        ends: list[int] = []  # letters consumed by the first k pieces (with separators)
        position = 0
        lowered = letters.lower()
        for piece in pieces:
            position = lowered.index(piece, position) + len(piece)
            ends.append(position)
        ends[-1] = len(letters)
        result: list[Candidate] = []
        seen: set[str] = set()

        def add(word: str, count: int) -> bool:
            if word and word not in seen:
                seen.add(word)
                result.append(Candidate(word, ends[count - 1]))
            return len(result) >= limit

        if len(pieces) > 1 and all(p in self.syllables for p in pieces[:-1]):
            add(self._sentence(pieces), len(pieces))  # not for initials: too ambiguous
        for count in range(min(len(pieces), MAX_WORD), 0, -1):
            for word, _score in self._words(pieces[:count]):
                if len(word) == count and add(word, count):
                    return result
        return result


def char_readings() -> dict[str, list[str]]:
    """Every character pypinyin knows, with its toneless readings (most common first)."""
    from pypinyin.pinyin_dict import pinyin_dict

    readings: dict[str, list[str]] = {}
    for code, values in pinyin_dict.items():
        normal = list(dict.fromkeys(_normal(v) for v in values.split(",")))
        readings[chr(code)] = normal
    return readings


def phrase_readings() -> dict[str, list[str]]:
    """pypinyin's readings of polyphonic phrases (银行: yin hang)."""
    from pypinyin.phrases_dict import phrases_dict

    return {word: [_normal(r[0]) for r in value] for word, value in phrases_dict.items()}


def jieba_words(min_frequency: int = MIN_FREQUENCY) -> list[tuple[str, int]]:
    """(word, frequency) from jieba's dictionary: every character, common words."""
    from content.wordstore import jieba_dictionary

    path = jieba_dictionary()
    words: list[tuple[str, int]] = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            parts = line.split(" ")
            if len(parts) < 2 or not parts[1].isdigit():
                continue
            word, frequency = parts[0], int(parts[1])
            if len(word) == 1 or (len(word) <= MAX_WORD and frequency >= min_frequency):
                words.append((word, frequency))
    return words


def build_ime(hall_words: Iterable[str] = ()) -> PinyinIME:
    """The IME on jieba's words, with the hall's own words ranked first."""
    words = jieba_words()
    words += [(w, HALL_BOOST) for w in hall_words if 1 < len(w) <= MAX_WORD
              and all("\u4e00" <= c <= "\u9fff" for c in w)]
    ime = PinyinIME(words, char_readings(), phrase_readings())
    forget_pypinyin()
    return ime


def forget_pypinyin() -> None:
    """Unload pypinyin once the IME has its readings: importing it loads its phrase
    dictionary and trains its segmenter (about 45 MB) that nothing else on a terminal
    uses (search rows carry their pinyin); a later import simply loads it again."""
    for name in [n for n in sys.modules if n == "pypinyin" or n.startswith("pypinyin.")]:
        del sys.modules[name]


def write_tables(ime: PinyinIME, path: Path) -> None:
    """Store an input built in memory as a file ``PinyinIME.open`` reads."""
    from content import wordstore

    if not isinstance(ime.table, dict) or not isinstance(ime.initials, dict):
        raise TypeError("only an input built in memory can be written")
    db = wordstore.create(path)
    db.execute("CREATE TABLE entries (k TEXT, r INTEGER, w TEXT NOT NULL, s REAL NOT NULL, "
               "PRIMARY KEY (k, r)) WITHOUT ROWID")
    db.execute("CREATE TABLE initials (a TEXT, r INTEGER, k TEXT NOT NULL, w TEXT NOT NULL, "
               "s REAL NOT NULL, PRIMARY KEY (a, r)) WITHOUT ROWID")
    db.executemany("INSERT INTO entries VALUES (?, ?, ?, ?)", (
        (SEPARATOR.join(key), rank, word, score) for key, entries in ime.table.items()
        for rank, (word, score) in enumerate(entries)))
    db.executemany("INSERT INTO initials VALUES (?, ?, ?, ?, ?)", (
        (abbreviation, rank, SEPARATOR.join(key), word, score)
        for abbreviation, found in ime.initials.items()
        for rank, (key, word, score) in enumerate(found)))
    db.execute("INSERT INTO meta VALUES ('syllables', ?)", (json.dumps(sorted(ime.syllables)),))
    db.commit()
    db.close()


def _versions() -> list[str]:
    """The versions of the data the input is built from (a new one rebuilds its file)."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("jieba", "pypinyin"):
        try:
            found.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} missing")
    return found


def open_ime(cache_dir: Path, hall_words: list[str]) -> PinyinIME:
    """The input for these hall words from its file in cache_dir, built first (in a
    child process) when there is none."""
    from content import wordstore

    words = hashlib.sha256(json.dumps(hall_words, ensure_ascii=False).encode()).hexdigest()
    path = wordstore.store_path(cache_dir, "ime", _versions(), MIN_FREQUENCY, words)
    return wordstore.open_built(path, "ime", {"hall_words": hall_words}, PinyinIME.open)


class LazyIME:
    """Builds the IME once in a background thread; ``ready`` until then is None.

    With a cache_dir the tables are read from a file there (built by a child process
    the first time), so the terminal does not hold them in memory; if that fails the
    input is built in memory as without one."""

    def __init__(self, hall_words: Iterable[str] = (), cache_dir: Path | None = None):
        self._words = list(hall_words)
        self._cache_dir = cache_dir
        self._ime: PinyinIME | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin building (once)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self.get, name="ime", daemon=True)
                self._thread.start()

    def get(self) -> PinyinIME:
        """The IME, building it now if nobody has."""
        with self._lock:
            if self._ime is None:
                self._ime = self._load()
            return self._ime

    def _load(self) -> PinyinIME:
        if self._cache_dir is not None:
            from content.wordstore import WordStoreError

            try:
                return open_ime(self._cache_dir, self._words)
            except (OSError, sqlite3.Error, WordStoreError) as exc:
                log.warning("the pinyin input's table file is not usable (%s): "
                            "building it in memory", exc)
        return build_ime(self._words)

    @property
    def ready(self) -> PinyinIME | None:
        """The IME when built, else None (never blocks)."""
        return self._ime
