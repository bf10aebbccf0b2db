"""One process guide: every material at once (一次性告知), steps, fees, basis, QR."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import partial
from typing import Any

from kivy.factory import Factory
from kivy.metrics import dp

from content.schema import Guide
from screens.base import BaseScreen, _, localized, localized_list
from screens.blocks import Page
from screens.laws import article_key, article_name, law_name
from screens.take_home import (
    guide_checklist,
    guide_link,
    material_line,
    print_checklist,
)


class GuideDetailScreen(BaseScreen):
    """The full guide, scrollable, with a QR code to continue online."""

    release_on_leave = ("column",)
    body_class = "GuideDetailBody"

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
        page.bullets(localized_list(guide, "applicants"))
        page.heading(_("Materials to bring ({count})").format(count=len(guide.materials)))
        page.numbered((material_line(m), localized(m, "notes")) for m in guide.materials)
        self._take_home_buttons(page)
        page.heading(_("Steps"))
        page.numbered((localized(s, "title"), localized(s, "detail")) for s in guide.steps)
        page.heading(_("Time limit"))
        page.paragraph(localized(guide, "time_limit"))
        page.heading(_("Fees"))
        page.paragraph(localized(guide, "fees"))
        page.heading(_("Where to go"))
        page.paragraph(localized(guide.where, "service"))
        self.take_button.text = _("Take a number now")
        self.take_button.width = page.width
        page.widget(self.take_button)
        page.heading(_("Legal basis"))
        page.bullets(localized_list(guide, "legal_basis"))
        self._article_links(page, guide)
        page.heading(_("Continue on your phone"))
        caption = _("Scan to read this guide on your phone")
        if guide.online:
            online = self.library.online(guide.online)
            caption = localized(online, "title")
        self.phone_card.data = guide_link(guide, self.library)
        self.phone_card.caption = caption
        self.phone_card.width = page.width
        page.widget(self.phone_card)
        self.spoken = page.text()
        self.ids.scroll.scroll_y = 1

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        body = self.tree
        assert body is not None
        body.owner = weakref.ref(self)  # the screen its buttons act for (the body outlives it)
        if not hasattr(body, "take_button"):
            _build_fixed_widgets(body)
        self.take_home_note, self.take_home_row = body.take_home_note, body.take_home_row
        self.print_button, self.phone_button = body.print_button, body.phone_button
        self.take_button, self.phone_card = body.take_button, body.phone_card

    def take_number(self) -> None:
        """Take a queue number for the service that handles this guide."""
        guide = self.library.guide(self.params["key"])
        self.shell.nav.go("ticket", want=guide.where.service)

    def continue_online(self) -> None:
        """The guide's online service, when it has one, on the hand-off screen."""
        guide = self.library.guide(self.params["key"])
        if guide.online:
            self.shell.nav.go("handoff", key=guide.online)

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
    def _take_home_buttons(self, page: Page) -> None:
        self.take_home_note.text = ""
        self.take_home_note.width = self.take_home_row.width = page.width
        self.print_button.text = _("Print checklist")
        self.print_button.disabled = False
        self.phone_button.text = _("View on phone")
        page.widget(self.take_home_note)
        page.widget(self.take_home_row)

    def print_checklist(self) -> None:
        """Print the materials checklist on the ticket printer (on a worker thread)."""
        guide = self.library.guide(self.params["key"])
        self.print_button.disabled = True
        self.take_home_note.text = _("Printing the checklist…")
        print_checklist(self.services.queue.printer, guide_checklist(guide, self.library),
                        self._printed)

    def _printed(self, error: str | None, seconds: float) -> None:
        if self.tree is None:
            return  # released meanwhile: its widgets show another guide now
        self.print_button.disabled = False
        if error is None:
            self.take_home_note.text = _("Please take your checklist from the ticket printer.")
        else:
            self.take_home_note.text = _("The printer cannot print now (it may be out of paper). "
                                         "Tap “View on phone” and scan the code instead.")

    def show_on_phone(self) -> None:
        """Scroll to the QR code carrying this guide's code."""
        self.ids.scroll.scroll_to(self.phone_card, padding=20, animate=False)

    def speech_text(self) -> str:
        """Title, summary, who may apply, every material and step."""
        return str(getattr(self, "spoken", self.title))


def _build_fixed_widgets(body: Any) -> None:
    """A page's fixed widgets, built with its body (and handed on with it): each guide shown
    gives them its own text. Their taps go to the screen the body belongs to now."""

    def act(method: str) -> Callable[..., None]:
        def call(*_args: Any) -> None:
            screen = body.owner()
            if screen is not None:
                getattr(screen, method)()
        return call

    body.take_home_note = Factory.Muted(text="")  # above the buttons: seen when they are
    row = body.take_home_row = Factory.BoxLayout(size_hint_y=None, spacing=dp(16))
    body.print_button = Factory.KButton()
    body.print_button.bind(on_release=act("print_checklist"))
    body.phone_button = Factory.LightButton()
    body.phone_button.bind(on_release=act("show_on_phone"))
    for button in (body.print_button, body.phone_button):
        row.add_widget(button)
    body.print_button.bind(height=row.setter("height"))
    row.height = body.print_button.height
    body.take_button = Factory.KButton()
    body.take_button.bind(on_release=act("take_number"))
    body.phone_card = Factory.QRCard()
    body.phone_card.bind(on_release=act("continue_online"))
