"""Chinese word segmentation with jieba, one private tokenizer per process.

The tokenizer uses jieba's own dictionary only, without words of the content:
documents are segmented when a bundle is built and questions on the terminal,
and the two must cut text the same way whatever lexicon a hall overlay adds.
"""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any

from content.answers.text import is_word, normalize

_lock = threading.Lock()
_tokenizer: Any = None


def _jieba() -> Any:
    """jieba's tokenizer, initialised once (about 0.7 s with its cache, 2 s without)."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            with warnings.catch_warnings():
                # jieba 0.42 imports pkg_resources, deprecated by setuptools.
                warnings.simplefilter("ignore")
                import jieba
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _tokenizer = tokenizer
        return _tokenizer


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
