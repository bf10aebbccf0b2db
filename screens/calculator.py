"""One calculator, drawn from its input definitions: fields, a large keypad, the result."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from content.calculators.base import FOR_REFERENCE, FOR_REFERENCE_EN, CalcResult, yuan, yuan_en
from content.calculators.registry import CALCULATORS
from kiosk.i18n import tr
from kiosk.keypad import DELETE, add_keypad
from screens.base import BaseScreen, _, sentences
from screens.blocks import Page
from screens.calc_form import BACK, CLEAR, CalcForm, FormField, Outcome
from screens.laws import article_key
from screens.take_home import print_checklist, result_slip

CHOICE_LABELS = {"property": "Property case", "divorce": "Divorce case",
                 "labour": "Labour dispute", "ordinary": "Ordinary procedure",
                 "simple": "Simple procedure (fee halved)"}


class CalculatorScreen(BaseScreen):
    """Inputs on cards (the selected one outlined), the keypad, the result as it changes."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    message = StringProperty("")
    is_error = BooleanProperty(False)
    result_text = StringProperty("")
    release_on_leave = ("fields", "result")

    def on_kv_post(self, base_widget: object) -> None:
        """Create the keypad once: the terminal's, with . and 删除 beside the 0."""
        add_keypad(self.ids.keypad, self.press, left=".", right=DELETE)

    def refresh(self) -> None:
        """Start the calculator given as key (keeping what was typed on a language switch)."""
        calculator = CALCULATORS[self.params["key"]]
        self.title = calculator.title_en if tr.language == "en" else calculator.title
        form = getattr(self, "form", None)
        if form is None or form.calculator is not calculator:
            self.form = CalcForm(calculator, self.library.content.figures, dt.date.today())
        self._build_fields()
        self.show()
        self.ids.fields_scroll.scroll_y = 1

    def _build_fields(self) -> None:
        box = self.ids.fields
        box.clear_widgets()
        self._cards: list[Any] = []
        for index, form_field in enumerate(self.form.fields):
            help_text = form_field.spec.help_en if tr.language == "en" else form_field.spec.help_zh
            if form_field.is_choice:
                card = Factory.ChoiceField()
                # the choices' own buttons name them: keep only '案件类型' of '案件类型：property …'
                help_text = help_text.replace("：", ":").split(":")[0]
                for value in form_field.spec.choices:
                    chip = Factory.Chip(text=_(CHOICE_LABELS.get(value, value)), value=value)
                    chip.bind(on_release=lambda widget, name=form_field.spec.name:
                              self.choose(name, widget.value))
                    card.ids.choices.add_widget(chip)
            else:
                card = Factory.InputField()
                card.bind(on_release=lambda _w, i=index: self.select(i))
            card.label = help_text
            box.add_widget(card)
            self._cards.append(card)

    def select(self, index: int) -> None:
        """The keypad now types into this input."""
        self.form.selected = index
        self.show()

    def press(self, key: str) -> None:
        """A keypad key."""
        self.form.press(BACK if key == DELETE else key)
        self.show()

    def clear_field(self) -> None:
        """Empty the selected input."""
        self.form.press(CLEAR)
        self.show()

    def next_field(self) -> None:
        """Move the keypad to the next input."""
        self.form.next_field()
        self.show()

    def choose(self, name: str, value: str) -> None:
        """A choice button."""
        self.form.choose(name, value)
        self.show()

    def show(self) -> None:
        """Update every input card and the result from the form."""
        for index, (card, form_field) in enumerate(zip(self._cards, self.form.fields,
                                                       strict=True)):
            if form_field.is_choice:
                for chip in card.ids.choices.children:
                    chip.state = "down" if chip.value == form_field.text else "normal"
            else:
                card.value = self._shown_value(form_field)
                card.selected = index == self.form.selected
        self._show_outcome(self.form.evaluate())

    @staticmethod
    def _shown_value(form_field: FormField) -> str:
        if form_field.text or form_field.figure is None:
            return form_field.display() or "…"
        return _("{value} (local figure)").format(value=f"{form_field.figure:,}")

    def _show_outcome(self, outcome: Outcome) -> None:
        english = tr.language == "en"
        page = Page(self.ids.result)
        self.result_text = ""
        self.is_error = outcome.error is not None
        if outcome.error is not None:
            self.message = outcome.error.message_en if english else outcome.error.message_zh
        elif outcome.missing:
            first = outcome.missing[0]
            self.message = _("Please enter: {input}").format(
                input=first.help_en if english else first.help_zh)
        else:
            self.message = ""
        if outcome.result is not None:
            self._show_result(page, outcome.result)
        self.ids.result_scroll.scroll_y = 1

    def _show_result(self, page: Page, result: CalcResult) -> None:
        english = tr.language == "en"
        amount = yuan(result.result) if result.unit == "元" else f"{result.result}{result.unit}"
        shown = yuan_en(result.result) if english and result.unit == "元" else amount
        self.result_text = _("Result: {amount}").format(amount=shown)
        page.widget(Factory.ResultText(text=self.result_text))
        page.muted(FOR_REFERENCE_EN if english else FOR_REFERENCE)
        page.heading(_("How it is worked out"))
        page.bullets(result.working_en if english and result.working_en else result.working)
        for note in result.notes_en if english and result.notes_en else result.notes:
            page.muted(note)
        page.heading(_("Legal basis"))
        for basis in result.basis:
            label = basis.label_en if english and basis.label_en else basis.label
            if self.library.laws.has_article(basis.law, basis.article):
                page.button(label, partial(self.shell.nav.go, "law_article",
                                           key=article_key(basis.law, basis.article)))
            else:
                page.paragraph(label)
        page.heading(_("Take it home"))
        self.print_note = Factory.Muted(text=_("Print the result, its working and its legal "
                                               "basis on the ticket printer."))
        page.widget(self.print_note)
        self.print_button = page.button(_("Print the result"),
                                        partial(self.print_result, result, shown), light=False)

    def print_result(self, result: CalcResult, amount: str) -> None:
        """The result on the ticket printer, in the visitor's language (the Chinese where a
        text has no English)."""
        calculator = CALCULATORS[self.params["key"]]
        english = tr.language == "en"
        slip = result_slip(
            calculator.name, calculator.title_en if english else calculator.title, amount,
            result.working_en if english and result.working_en else result.working,
            [basis.label_en if english and basis.label_en else basis.label
             for basis in result.basis], self.library)
        self.print_button.disabled = True
        self.print_note.text = _("Printing…")
        print_checklist(self.services.queue.printer, slip, self._printed)

    def _printed(self, error: str | None, _seconds: float) -> None:
        self.print_button.disabled = False
        self.print_note.text = _("Please take the result from the ticket printer.") \
            if error is None else _("The printer cannot print now (it may be out of paper). "
                                    "Please write the result down or ask at the service desk.")

    def reset(self) -> None:
        """Forget what the last visitor typed."""
        self.form = None  # type: ignore[assignment]

    def speech_text(self) -> str:
        """Title, the message or the result and its working."""
        return sentences([self.title, self.message, self.result_text])
