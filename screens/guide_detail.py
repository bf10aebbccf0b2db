"""One process guide: every material at once (一次性告知), steps, fees, basis, QR."""

from __future__ import annotations

from functools import partial

from kivy.factory import Factory

from content.schema import Guide, Material
from screens.base import BaseScreen, _, localized
from screens.blocks import Page
from screens.laws import article_key, article_name, law_name


def material_counts(material: Material) -> str:
    """'Original 1, copies 2' in the current language."""
    parts = []
    if material.originals:
        parts.append(_("original ×{count}").format(count=material.originals))
    if material.copies:
        parts.append(_("copies ×{count}").format(count=material.copies))
    if not material.required:
        parts.append(_("if applicable"))
    return _(", ").join(parts)


class GuideDetailScreen(BaseScreen):
    """The full guide, scrollable, with a QR code to continue online."""

    release_on_leave = ("column",)

    def refresh(self) -> None:
        """Lay out the guide given as key."""
        guide = self.library.guide(self.params["key"])
        category = self.library.category(guide.category)
        self.title = localized(guide, "title")
        page = Page(self.ids.column)
        page.heading(self.title)
        page.muted(_("{code} · {category} · reviewed {date}").format(
            code=guide.code, category=localized(category, "name"), date=guide.last_reviewed))
        page.paragraph(localized(guide, "summary"))
        page.heading(_("Who may apply"))
        page.bullets(guide.applicants)
        page.heading(_("Materials to bring ({count})").format(count=len(guide.materials)))
        page.numbered(
            (f"{m.name}　{material_counts(m)}", m.notes) for m in guide.materials)
        page.heading(_("Steps"))
        page.numbered((s.title, s.detail) for s in guide.steps)
        page.heading(_("Time limit"))
        page.paragraph(guide.time_limit)
        page.heading(_("Fees"))
        page.paragraph(guide.fees)
        page.heading(_("Where to go"))
        page.paragraph(" ".join(filter(None, [guide.where.service, guide.where.window])))
        page.heading(_("Legal basis"))
        page.bullets(guide.legal_basis)
        self._article_links(page, guide)
        if guide.online:
            online = self.library.online(guide.online)
            page.heading(_("Continue on your phone"))
            card = Factory.QRCard(data=online.url, caption=localized(online, "title"))
            card.bind(on_release=lambda *_a, key=online.id: self.shell.nav.go("handoff", key=key))
            page.widget(card)
        self.spoken = page.text()
        self.ids.scroll.scroll_y = 1

    def _article_links(self, page: Page, guide: Guide) -> None:
        """A button to each cited article the law library holds."""
        for ref in guide.legal_refs:
            for number in ref.articles:
                if self.library.laws.has_article(ref.law, number):
                    page.button(_("Read {law} {article}").format(
                        law=law_name(self.library.laws.law(ref.law)),
                        article=article_name(number)),
                        partial(self.shell.nav.go, "law_article",
                                key=article_key(ref.law, number)))

    def speech_text(self) -> str:
        """Title, summary, who may apply, every material and step."""
        return str(getattr(self, "spoken", self.title))
