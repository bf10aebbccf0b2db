"""One article in large text: the official text, the 释义, guides relying on it, cases."""

from __future__ import annotations

from functools import partial

from kivy.factory import Factory

from content.laws.schema import Case, Law
from kiosk.i18n import tr
from screens.base import BaseScreen, _, localized
from screens.blocks import Page
from screens.laws import article_key, article_name, law_name, law_title, parse_article_key


def neighbours(law: Law, number: int) -> tuple[int | None, int | None]:
    """The article numbers held before and after number, in document order."""
    numbers = [article.number for _path, article in law.all_articles()]
    index = numbers.index(number)
    return (numbers[index - 1] if index > 0 else None,
            numbers[index + 1] if index + 1 < len(numbers) else None)


class LawArticleScreen(BaseScreen):
    """The article a key names ('law-code:47'), read aloud by the header button."""

    release_on_leave = ("column",)

    def refresh(self) -> None:
        """Lay out the article."""
        code, number = parse_article_key(self.params["key"])
        law = self.library.laws.law(code)
        article = self.library.laws.article(code, number)
        self.title = f"{law_name(law)} {article_name(number)}"
        page = Page(self.ids.column)
        page.heading(f"{law_title(law)}, {article_name(number)}" if tr.language == "en"
                     else f"《{law.title}》{article_name(number)}")
        if article.text:
            page.widget(Factory.ArticleText(text=article.text))
            page.spoken.append(article.text)
        else:
            page.muted(_("The official text is not in this library yet; "
                         "the explanation below is the project's own."))
        explanation = localized(article, "explanation") if article.explanation else ""
        if explanation:
            page.heading(_("In plain words (释义)"))
            page.widget(Factory.ArticleText(text=explanation))
            page.spoken.append(explanation)
        self.spoken = page.text()  # read aloud: the heading, the text and the explanation
        guides = self.library.guides_citing(code, number)
        if guides:
            page.heading(_("Service guides relying on this article"))
            for guide in guides:
                page.button(localized(guide, "title"),
                            partial(self.shell.nav.go, "guide_detail", key=guide.code))
        cases = self.library.laws.cases_citing(code, number)
        if cases:
            page.heading(_("Cases explained (以案释法)"))
            for case in cases:
                self._case(page, case)
        before, after = neighbours(law, number)
        for target, label in ((before, _("Previous: {article}")),
                              (after, _("Next: {article}"))):
            if target is not None:
                page.button(label.format(article=article_name(target)),
                            partial(self.open_article, article_key(code, target)))
        page.button(_("Contents of {law}").format(law=law_name(law)),
                    partial(self.shell.nav.go, "law_detail", key=code))
        self.ids.scroll.scroll_y = 1

    @staticmethod
    def _case(page: Page, case: Case) -> None:
        card = Factory.Card()
        note = _("An illustration written for this library: the people and events are "
                 "invented, not a real judgment.") if tr.language == "en" and case.illustrative \
            else case.note
        for widget, text in ((Factory.Heading, localized(case, "title")),
                             (Factory.Paragraph, localized(case, "facts")),
                             (Factory.Paragraph, _("Question: {text}").format(
                                 text=localized(case, "question"))),
                             (Factory.Paragraph, _("Answer: {text}").format(
                                 text=localized(case, "answer"))),
                             (Factory.Muted, note)):
            card.add_widget(widget(text=text))
        page.widget(card)

    def open_article(self, key: str) -> None:
        """Show another article of the same law in place."""
        self.params = {"key": key}
        self.refresh()

    def speech_text(self) -> str:
        """The article's heading, text and explanation."""
        return str(getattr(self, "spoken", self.title))
