"""Guided flows such as the legal-aid self-check: one question at a time, then a result."""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from content.library import Library
from content.schema import Flow, QuestionNode, ResultNode
from kiosk.lists import settle
from screens.base import BaseScreen, _, localized, localized_list
from screens.blocks import Page
from screens.take_home import flow_checklist, print_checklist

APPLY_SERVICE = "法律援助"  # a result offering this service can be applied for at once


def result_service(node: ResultNode, library: Library) -> str:
    """The service a result's ticket is for: its first guide's, else its first service."""
    if node.guides:
        return library.guide(node.guides[0]).where.service
    return node.services[0] if node.services else ""


class FlowScreen(BaseScreen):
    """Walks a decision tree; the result lists materials, guides and services."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    release_on_leave = ("column",)

    node_key = StringProperty("")
    path = ListProperty([])
    answers = ListProperty([])  # the choice's label for each question in path
    at_result = BooleanProperty(False)

    @property
    def flow(self) -> Flow:
        """The flow given as key."""
        return self.library.flow(self.params["key"])

    def open(self, **params: object) -> None:
        """Start the flow from its first question."""
        if params != self.params or not self.node_key:
            self.path, self.answers = [], []
            self.node_key = ""
        super().open(**params)

    def refresh(self) -> None:
        """Show the current node."""
        flow = self.flow
        self.title = localized(flow, "title")
        self.node_key = self.node_key or flow.start
        node = flow.nodes[self.node_key]
        page = Page(self.ids.column)
        if not self.path:
            page.muted(localized(flow, "intro"))
        if isinstance(node, QuestionNode):
            self._show_question(page, node)
        else:
            self._show_result(page, node)
        self.spoken = page.text()
        self.ids.scroll.scroll_y = 1
        # The answer was tapped inside this scroll view: Kivy ends that touch after this
        # page was built and takes the jump to the top as a fling, so the new page would
        # keep moving and take the visitor's next tap as stopping it. Stop it once the
        # touch is over.
        Clock.schedule_once(self._stop_scrolling, 0)

    def _stop_scrolling(self, *_args: Any) -> None:
        settle(self.ids.scroll)

    def _show_question(self, page: Page, node: QuestionNode) -> None:
        self.at_result = False
        page.heading(localized(node, "text"))
        page.paragraph(localized(node, "help"))
        for choice in node.choices:
            page.button(localized(choice, "label"),
                        partial(self.choose, choice.next, choice.label), light=False)

    def _show_result(self, page: Page, node: ResultNode) -> None:
        self.at_result = True
        page.heading(localized(node, "title"))
        page.paragraph(localized(node, "advice"))
        if node.materials:
            page.heading(_("Materials to bring ({count})").format(count=len(node.materials)))
            page.numbered((m, "") for m in localized_list(node, "materials"))
        if node.guides:
            page.heading(_("Guides for this matter"))
            for code in node.guides:
                guide = self.library.guide(code)
                page.button(localized(guide, "title"),
                            partial(self.shell.open_item, "guide", code))
        if node.services:
            page.heading(_("Where to get help"))
            page.bullets(localized_list(node, "services"))
        if wanted := result_service(node, self.library):
            self.take_button = page.button(_("Take a number now"), partial(
                self.shell.nav.go, "ticket", want=wanted), light=False)
        if node.legal_basis:
            page.heading(_("Legal basis"))
            page.bullets(localized_list(node, "legal_basis"))
        if APPLY_SERVICE in node.services:  # the visitor may apply here and now
            page.button(_("Apply for legal aid now"), self.apply, light=False)
        if node.materials:
            self.print_note = Factory.Muted(text="")
            page.widget(self.print_note)
            self.print_button = page.button(_("Print checklist"), self.print_checklist,
                                            light=False)
        for form in self.library.content.forms:
            if any(f.prefill and f.prefill.flow == self.flow.id for f in form.fields()):
                page.button(_("Fill in: {title}").format(title=form.title), partial(
                    self.shell.nav.go, "form_fill", key=form.id, flow=self.flow.id,
                    visited=[*self.path, self.node_key]), light=False)
        page.muted(_("This result is guidance only; the legal aid agency decides."))

    def print_checklist(self) -> None:
        """Print the result's materials on the ticket printer (on a worker thread)."""
        self.print_button.disabled = True
        self.print_note.text = _("Printing the checklist…")
        print_checklist(self.services.queue.printer,
                        flow_checklist(self.flow, self.node_key, self.library), self._printed)

    def _printed(self, error: str | None, seconds: float) -> None:
        self.print_button.disabled = False
        if error is None:
            self.print_note.text = _("Please take your checklist from the ticket printer.")
            return
        self.print_note.text = _("The printer cannot print now (it may be out of paper). "
                                 "Scan the code below to take the result on your phone.")
        card: Any = getattr(self, "phone_card", None)
        if card is None or card.parent is None:
            # the code the slip would have carried: the flow and its result in the link
            url = flow_checklist(self.flow, self.node_key, self.library).url
            self.phone_card = Factory.QRCard(data=url, caption=_("Scan to continue on your "
                                                                 "phone"))
            column = self.print_button.parent
            column.add_widget(self.phone_card, index=column.children.index(self.print_button))
            card = self.phone_card
        # bring the code into view once it is laid out
        Clock.schedule_once(lambda _dt: self._show(card), 0)

    def _show(self, card: Any) -> None:
        if card.parent is not None:  # still on this result
            self.ids.scroll.scroll_to(card, padding=20, animate=False)

    def facts(self) -> list[str]:
        """What the self-check gathered: each question with the answer chosen (Chinese, as
        the legal-aid agency reads it)."""
        flow = self.flow
        facts = []
        for key, answer in zip(self.path, self.answers, strict=False):
            node = flow.nodes[key]
            if isinstance(node, QuestionNode) and answer:
                facts.append(f"{node.text}{answer}")
        return facts

    def apply(self) -> None:
        """法律援助预申请: on to the application with what the self-check gathered."""
        self.shell.nav.go("legal_aid_apply", flow=self.flow.id, result=self.node_key,
                          facts=self.facts())

    def choose(self, next_key: str, label: str = "") -> None:
        """Answer the current question."""
        self.path.append(self.node_key)
        self.answers.append(label)
        self.node_key = next_key
        self.refresh()

    def previous(self) -> None:
        """Go back one question (or leave the flow at its start)."""
        if not self.path:
            self.shell.nav.back()
            return
        self.node_key = self.path.pop()
        if self.answers:
            self.answers.pop()
        self.refresh()

    def restart(self) -> None:
        """Start again from the first question."""
        self.path, self.answers = [], []
        self.node_key = ""
        self.refresh()

    def reset(self) -> None:
        """Forget the visitor's answers."""
        self.path, self.answers = [], []
        self.node_key = ""

    def speech_text(self) -> str:
        """The question with its choices, or the result."""
        return str(getattr(self, "spoken", self.title))
