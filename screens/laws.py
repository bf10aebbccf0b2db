"""法律知识: laws by topic, with a way to the article search."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import StringProperty

from content.laws.numerals import article_label, to_chinese
from content.laws.schema import Article, Law
from kiosk.i18n import tr
from screens.base import BaseScreen, _, localized, sentences

ALL = ""


def article_name(number: int) -> str:
    """'第四十七条' in Chinese, 'Article 47' in English."""
    return _("Article {number}").format(number=number) if tr.language == "en" \
        else article_label(number)


PART_NAMES = {"章": "Chapter {number} {title}", "节": "Section {number} {title}"}


def part_name(unit: str, number: int, title: str) -> str:
    """'第一章　总则' in Chinese, 'Chapter 1 总则' in English (unit is 章 or 节)."""
    if tr.language == "en":
        return _(PART_NAMES[unit]).format(number=number, title=title)
    return f"第{to_chinese(number)}{unit}\u3000{title}"


def article_key(law: str, number: int) -> str:
    """The key the article screen opens by: 'labour-contract-law:47'."""
    return f"{law}:{number}"


def parse_article_key(key: str) -> tuple[str, int]:
    """The law code and article number of an article key."""
    law, _sep, number = key.rpartition(":")
    return law, int(number)


PRC = " of the People's Republic of China"


def law_name(law: Law) -> str:
    """The short title when the law has one: 劳动合同法 (Labour Contract Law in English,
    where the law has an English title)."""
    if tr.language == "en" and (law.short_title_en or law.title_en):
        return str(law.short_title_en or (law.title_en or "").removesuffix(PRC))
    return law.short_title or law.title


# The usual issuing bodies in English (an issuer not listed shows in Chinese).
ISSUER_EN = {"全国人民代表大会": "National People's Congress",
             "全国人民代表大会常务委员会": "NPC Standing Committee",
             "国务院": "State Council", "最高人民法院": "Supreme People's Court",
             "最高人民检察院": "Supreme People's Procuratorate", "司法部": "Ministry of Justice"}


def issuer_name(law: Law) -> str:
    """The issuing body in the visitor's language."""
    return ISSUER_EN.get(law.issuer, law.issuer) if tr.language == "en" else law.issuer


def law_title(law: Law) -> str:
    """The full title in the visitor's language (the Chinese when there is no English)."""
    return localized(law, "title")


def article_gist(article: Article) -> str:
    """What an article says, for a list: the official text, else the 释义; in English the
    English 释义 when the content has one (official texts are Chinese only)."""
    if tr.language == "en" and article.explanation_en:
        return article.explanation_en
    return (article.text or article.explanation or "").replace("\n", " ")


class LawsScreen(BaseScreen):
    """Topic chips (single choice, plus All) above the laws of the topic."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    topic = StringProperty(ALL)
    count_text = StringProperty("")

    def __init__(self, **kwargs: Any):
        self._chips: list[Any] = []
        self._built_for: tuple[str, str] | None = None
        super().__init__(**kwargs)

    def refresh(self) -> None:
        """Rebuild the chips when language or content changed, then the list."""
        self.title = _("Law library")
        built_for = (tr.language, self.library.version)
        if built_for != self._built_for:
            self._build_chips()
            self._built_for = built_for
        self._apply()

    def _build_chips(self) -> None:
        box = self.ids.chips
        box.clear_widgets()
        self._chips = []
        topics = sorted(self.library.content.topics, key=lambda t: (t.order, t.code))
        for value, label in [(ALL, _("All")), *((t.code, localized(t, "name")) for t in topics)]:
            chip = Factory.Chip(text=label, value=value)
            chip.bind(on_release=lambda widget: self.choose(widget.value))
            box.add_widget(chip)
            self._chips.append(chip)

    def choose(self, topic: str) -> None:
        """Show the laws of one topic ('' for all)."""
        self.topic = topic
        self._apply()

    def _apply(self) -> None:
        for chip in self._chips:
            chip.state = "down" if chip.value == self.topic else "normal"
        laws = [law for law in self.library.content.laws
                if self.topic in (ALL, *law.topics) and law.repealed is None]
        rows = [{"title": law_title(law), "subtitle": _("{issuer} · in force {date}").format(
                    issuer=issuer_name(law), date=law.in_force),
                 "badge": _("{count} articles").format(
                     count=sum(1 for _a in law.all_articles())),
                 "kind": "law", "key": law.code} for law in laws]
        if rows != self.ids.rows.data:
            self.ids.rows.data = rows
            self.ids.rows.scroll_y = 1
        self.count_text = _("Laws shown: {count}").format(count=len(rows))

    def open_search(self) -> None:
        """Find an article by number or words."""
        self.shell.nav.go("law_search")

    def reset(self) -> None:
        """Back to all topics."""
        self.choose(ALL)

    def speech_text(self) -> str:
        """Title and the laws listed."""
        return sentences([self.title, self.count_text,
                          *(row["title"] for row in self.ids.rows.data[:6])])
