"""Follow-up questions that refer to the previous answer ("那要带什么材料？")."""

from __future__ import annotations

from content.answers.text import normalize

# Facet of a guide and the everyday words that ask for it, most specific first.
FACETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("materials", ("材料", "带什么", "带啥", "带哪些", "证件", "准备什么", "准备啥", "要带",
                   "资料", "手续")),
    ("fees", ("多少钱", "收费", "要钱", "费用", "花钱", "免费", "收钱", "交钱")),
    ("time_limit", ("多久", "几天", "多长时间", "时间", "多快", "什么时候")),
    ("steps", ("流程", "步骤", "怎么办理", "怎么申请", "程序", "怎么弄", "怎么走")),
    ("where", ("在哪", "哪个窗口", "去哪", "几号窗口", "地方", "窗口")),
    ("applicants", ("谁能", "谁可以", "条件", "符合", "够不够")),
)
_OPENERS = ("那", "还有", "另外", "然后", "那么", "要是", "如果")
MAX_FOLLOW_UP = 14  # characters: a longer question stands on its own


def facet_of(question: str) -> str:
    """The part of a guide the question asks for, or ''."""
    text = normalize(question)
    return next((facet for facet, words in FACETS if any(w in text for w in words)), "")


def is_follow_up(question: str) -> bool:
    """Whether a question is short or opens like a follow-up, so it may use the context."""
    text = normalize(question).strip("?？!！。.,， ")
    return len(text) <= MAX_FOLLOW_UP or text.startswith(_OPENERS)


def without_facet_words(question: str) -> str:
    """The question with the words that ask for a facet and a follow-up opener removed."""
    text = normalize(question)
    for _facet, words in FACETS:
        for word in words:
            text = text.replace(word, " ")
    for opener in _OPENERS:
        if text.startswith(opener):
            text = text[len(opener):]
    return text
