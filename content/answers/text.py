"""Text clean-up shared by indexing and asking: normalisation, stopwords, privacy masking."""

from __future__ import annotations

import re
import unicodedata

from protocol.privacy import mask_personal

MAX_QUESTION = 200  # a visitor's question longer than this is cut (a 500-character paste)
# Words that carry no meaning for choosing an answer; idf would damp them, but they would
# still count against the confidence (a question is "half understood" without them).
STOPWORDS = frozenset("""
的 了 吗 呢 啊 吧 呀 嘛 哦 么 着 过 得 地 个 之 与 和 及 或 并 而 就 都 还 也 又 才 再 很 太 最 更
我 你 您 他 她 它 我们 你们 他们 她们 咱 咱们 自己 人家 别人 有人 家里人
怎么 怎么办 怎么样 怎样 如何 咋 咋办 咋整 啥 什么 哪 哪里 哪儿 哪个 哪些 多少 几 谁 为什么
是 有 没 没有 不 在 要 想 能 会 可以 可不可以 能不能 是不是 有没有 应该 需要 得到 一定
这 那 这个 那个 这些 那些 这样 那样 这种 现在 已经 一下 一些 一点 一个 一直 还是 就是 但是 可是
请 请问 问问 问一下 谢谢 麻烦 帮 帮我 给 给我 让 把 被 对 从 向 跟 到 去 来 找 说 知道 弄 搞 办
上 下 里 中 后 前 时候 情况 问题 事 事情 东西 一 二 三 好 吧 呗 喂 嗯 哎 唉 那么 这么
这里 那里 这儿 那儿 我家 你家 他家 她家 家里 人家 一家 两个 三个 几个 个月 几个月 一年 好几
今天 明天 昨天 每天 天天 每次 总是 老是 一直 突然 最近 以前 后来 之后 以后 然后 还有 另外
办事 有人 出来 回来 起来 过来 下来 不管 不让 不给 不要 不能 不会 不行 行不行 行吗 对吗 好吗
the an of to for in on at is are am be it its this that my me what how can could do does
who where when which please with and or not no yes want need get have has help
""".split())
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, single spaces, at most MAX_QUESTION."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _SPACES.sub(" ", text).strip()[:MAX_QUESTION]


def mask_private(text: str) -> str:
    """The question with ID-card, phone, card and other long numbers and e-mail masked, for
    usage counters: the one masking function, protocol.privacy.mask_personal."""
    return mask_personal(text)


def drop_private(text: str) -> str:
    """The text without ID-card and phone numbers: they never name an answer."""
    for pattern in (_ID_NUMBER, _PHONE, _LANDLINE):
        text = pattern.sub(" ", text)
    return text


def is_word(token: str) -> bool:
    """Whether a token can carry meaning: not a stopword, not punctuation or a lone digit."""
    token = token.strip()
    if not token or token in STOPWORDS:
        return False
    if token.isdigit():
        return len(token) >= 3  # 12348, not the "3" of "3个月"
    return any(ch.isalpha() for ch in token) and not (token.isascii() and len(token) < 2)
