"""Chinese word segmentation with jieba, one private tokenizer per process.

The tokenizer uses jieba's own dictionary only, without words of the content:
documents are segmented when a bundle is built and questions on the terminal,
and the two must cut text the same way whatever lexicon a hall overlay adds.

A terminal calls ``use_store`` first: its tokenizer then reads jieba's dictionary
from a table file (``content.wordstore``) instead of holding it as a dict of about
580,000 strings; the cutting is the same, the lookups slower (a question takes a
millisecond or two).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

from content.answers.text import is_word, normalize

log = logging.getLogger(__name__)
_lock = threading.Lock()
_tokenizer: Any = None
_store_dir: Path | None = None


def use_store(cache_dir: Path | None) -> None:
    """Read jieba's dictionary from a table file in cache_dir (None: hold it in memory).
    Takes effect for a tokenizer not made yet."""
    global _store_dir
    with _lock:
        _store_dir = cache_dir


def _jieba() -> Any:
    """jieba's tokenizer, initialised once (about 0.7 s with its cache, 2 s without)."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            from content.wordstore import import_jieba

            jieba = import_jieba()
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            if not (_store_dir is not None and _read_from_store(tokenizer, _store_dir)):
                tokenizer.initialize()
            _tokenizer = tokenizer
        return _tokenizer


def _read_from_store(tokenizer: Any, cache_dir: Path) -> bool:
    """Give tokenizer the dictionary from its table file; False if that is not usable."""
    from content.wordstore import WordStoreError, jieba_freq

    try:
        frequencies = jieba_freq(cache_dir)
    except (OSError, sqlite3.Error, WordStoreError) as exc:
        log.warning("jieba's table file is not usable (%s): loading it into memory", exc)
        return False
    tokenizer.FREQ, tokenizer.total = frequencies, frequencies.total
    tokenizer.initialized = True
    return True


def tokens(text: str) -> list[str]:
    """Meaningful search tokens of text: jieba's search-mode words without stopwords."""
    cleaned = normalize(text)
    if not cleaned:
        return []
    return [t for t in _jieba().cut_for_search(cleaned, HMM=False) if is_word(t)]


def word_groups(text: str) -> list[tuple[str, ...]]:
    """Words of a question, each with its search-mode parts ("工作人员": 工作, 人员 ...).

    Lone characters are left out: outside the lexicon, a single character (打, 算, 钱)
    says too little to choose an answer and would only dilute the confidence.
    """
    cleaned = normalize(text)
    if not cleaned:
        return []
    tokenizer = _jieba()
    groups: dict[str, tuple[str, ...]] = {}
    for word in tokenizer.cut(cleaned, HMM=False):
        if len(word) < 2 or not is_word(word) or word in groups:
            continue
        parts = [p for p in tokenizer.cut_for_search(word, HMM=False) if is_word(p)]
        groups[word] = tuple(dict.fromkeys([word, *parts]))
    return list(groups.values())
