"""One law: its dates and issuer, and a table of contents down to each article."""

from __future__ import annotations

from functools import partial

from content.laws.schema import Article
from kiosk.i18n import tr
from screens.base import BaseScreen, _
from screens.blocks import Page
from screens.laws import (
    article_gist,
    article_key,
    article_name,
    issuer_name,
    law_name,
    law_title,
    part_name,
)

PREVIEW = 18  # characters of an article shown on its contents button
PREVIEW_EN = 36  # in English, cut at the last space before this


def article_preview(article: Article) -> str:
    """'第四十七条　经济补偿按在本单位工作的年限…' for a contents button."""
    text = article_gist(article)
    if tr.language == "en" and article.explanation_en:
        shown = text if len(text) <= PREVIEW_EN else \
            text[:PREVIEW_EN].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        return f"{article_name(article.number)}\u3000{shown}"
    more = "…" if len(text) > PREVIEW else ""
    return f"{article_name(article.number)}\u3000{text[:PREVIEW]}{more}"


class LawDetailScreen(BaseScreen):
    """Title, issuer and dates, the editors' note, then chapters, sections and articles."""

    release_on_leave = ("column",)

    def refresh(self) -> None:
        """Lay out the law given as key."""
        law = self.library.laws.law(self.params["key"])
        self.title = law_name(law)
        page = Page(self.ids.column)
        page.heading(law_title(law))
        dates = _("{issuer} · promulgated {promulgated} · in force {in_force}").format(
            issuer=issuer_name(law), promulgated=law.promulgated, in_force=law.in_force)
        if law.amended:
            dates += _(" · amended {dates}").format(
                dates=", ".join(str(d) for d in law.amended))
        page.muted(dates)
        page.muted(law.note)
        page.heading(_("Contents"))
        self._articles(page, law.code, law.articles)
        for chapter in law.chapters:
            page.heading(part_name("章", chapter.number, chapter.title))
            self._articles(page, law.code, chapter.articles)
            for section in chapter.sections:
                page.paragraph(part_name("节", section.number, section.title))
                self._articles(page, law.code, section.articles)
        self.spoken = page.text()
        self.ids.scroll.scroll_y = 1

    def _articles(self, page: Page, law: str, articles: list[Article]) -> None:
        for article in articles:
            page.button(article_preview(article), partial(
                self.shell.nav.go, "law_article", key=article_key(law, article.number)))

    def speech_text(self) -> str:
        """The law's title, dates and chapter headings."""
        return str(getattr(self, "spoken", self.title))
