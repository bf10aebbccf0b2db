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
