"""Fill in a document (法律援助申请表 …) on screen, then print it on the A4 printer or take it
away on the phone. Digits come from a keypad, choices from buttons, Chinese from a small
pinyin input. Everything typed is forgotten when the visitor session ends (reset)."""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from content.forms.fill import FieldProblem, check_field, check_values, normalize, prefill
from content.forms.schema import FieldType, FormField, FormTemplate
from devices.form_pdf import render_form_pdf
from devices.printer import ticket_format
from devices.status import DeviceError
from kiosk.document_handoff import HandoffFailed, hand_off
from kiosk.i18n import tr
from kiosk.keypad import add_keypad
from protocol.phone import group_phone
from screens.base import BaseScreen, _, localized
from screens.blocks import Page

log = logging.getLogger(__name__)

# The key left of the 0 on the terminal's keypad, for each kind of numeric field (a phone
# number needs none: its area code is shown apart as it is typed).
DIGIT_KEYS = {FieldType.PHONE: "", FieldType.ID_NUMBER: "X", FieldType.NUMBER: ".",
              FieldType.DATE: "-"}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def ui(function: Callable[..., None], *args: Any) -> None:
    """Run function on the UI thread."""
    Clock.schedule_once(lambda _dt: function(*args), 0)


class FormFillScreen(BaseScreen):
    """One template: its fields in a scrolling list, the keys for the field being edited."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    release_on_leave = ("column",)

    editing = StringProperty("")
    typing = BooleanProperty(False)  # pinyin letters waiting for a character
    key_columns = NumericProperty(6)
    busy = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.values: dict[str, str] = {}
        self.problems: dict[str, FieldProblem] = {}
        self.current = ""
        self.letters = ""
        self.message = ""
        self.qr_url = ""

    @property
    def template(self) -> FormTemplate:
        """The template given as key."""
        return next(f for f in self.library.content.forms if f.id == self.params["key"])

    def open(self, **params: Any) -> None:
        """Start the form, pre-filled from a flow the visitor went through (flow, visited)."""
        if params != self.params:
            self.reset()
            self.params = params
            flow_id = params.get("flow")
            if flow_id:
                self.values = prefill(self.template, self.library.flow(flow_id),
                                      list(params.get("visited", [])))
        super().open(**params)

    def field(self, key: str) -> FormField:
        """A field of the template by key."""
        return next(f for f in self.template.fields() if f.key == key)

    def refresh(self) -> None:
        """Lay out every field with its value, help or problem, and the keys."""
        template = self.template
        self.title = localized(template, "title")
        self.current = self.current or template.fields()[0].key
        page = Page(self.ids.column)
        if template.intro:
            page.muted(template.intro)
        for section in template.sections:
            page.heading(localized(section, "title"))
            if section.note:
                page.muted(section.note)
            for field in section.fields:
                self._field_row(page, field)
        if self.message:
            page.paragraph(self.message)
        if self.qr_url:
            page.widget(Factory.QRCard(
                data=self.qr_url, caption=_("Scan within 30 minutes; the link works once"),
                note=_("The document is deleted after it is opened. This terminal keeps "
                       "nothing you filled in.")))
        self.spoken = page.text()
        self._show_keys()

    def _shown(self, field: FormField) -> str:
        value = self.values.get(field.key, "")
        return group_phone(value) if field.type is FieldType.PHONE else value  # 138 1234 5678

    def _field_row(self, page: Page, field: FormField) -> None:
        value = self._shown(field)
        mark = "*" if field.required else ""
        shown = value + (self.letters if field.key == self.current and self.letters else "")
        english = tr.language == "en"
        colon = ": " if english else "："
        text = f"{mark}{localized(field, 'label')}{colon}{shown or _('(tap to fill in)')}"
        button = page.button(text, partial(self.select, field.key),
                             light=field.key != self.current)
        button.field_key = field.key
        problem = self.problems.get(field.key)
        if problem is not None:
            page.paragraph("⚠ " + (problem.message_en if english else problem.message))
        elif field.help and field.key == self.current:
            page.muted(field.help_en if english and field.help_en else field.help)

    def _show_keys(self) -> None:
        field = self.field(self.current)
        self.editing = _("Filling in: {label}").format(label=localized(field, "label"))
        if field.type in DIGIT_KEYS:  # the number right above the keypad, whatever scrolls
            self.editing += "　" + self._shown(field)
        keypad, chips = self.ids.keypad, self.ids.candidates
        keypad.clear_widgets()
        chips.clear_widgets()
        self.typing = bool(self.letters)
        if field.type is FieldType.CHOICE:
            self.key_columns = 2
            for choice in field.choices:
                self._key(choice, partial(self.choose, choice),
                          selected=self.values.get(field.key) == choice)
            return
        if field.type in DIGIT_KEYS:
            # the terminal's keypad (1 2 3 / 4 5 6 / 7 8 9 / X 0); 删除 is in the row below
            self.key_columns = 3
            add_keypad(keypad, self.type_text, left=DIGIT_KEYS[field.type], right="")
            return
        self.key_columns = 9
        for letter in LETTERS:
            self._key(letter, partial(self.type_letter, letter))
        for key in "0123456789，-":
            self._key(key, partial(self.type_text, key))
        # the terminal's one pinyin IME (the ask screen's), ranked by how common words are
        ime = self.services.ime.get() if self.letters else None
        for char in [c.text for c in ime.candidates(self.letters, 40)] if ime else []:
            chip = Factory.KButton(text=char, size_hint=(None, 1), width=self.height * 0.06)
            chip.bind(on_release=lambda _w, c=char: self.pick(c))
            chips.add_widget(chip)

    def _key(self, text: str, action: Callable[[], None], selected: bool = False) -> None:
        key = Factory.LightButton(text=text) if not selected else Factory.KButton(text=text)
        key.size_hint_y = 1
        key.bind(on_release=lambda *_a: action())
        self.ids.keypad.add_widget(key)

    # Editing -----------------------------------------------------------------------------

    def select(self, key: str) -> None:
        """Edit another field."""
        self.letters, self.current = "", key
        self.refresh()

    def choose(self, choice: str) -> None:
        """Pick a choice of the current field."""
        self._set(self.current, choice)

    def type_text(self, text: str) -> None:
        """Append text (a digit, a character) to the current field."""
        self._set(self.current, self.values.get(self.current, "") + text)

    def type_letter(self, letter: str) -> None:
        """One more pinyin letter; the candidates follow."""
        self.letters += letter.lower()
        self.refresh()

    def pick(self, char: str) -> None:
        """Take a character from the candidates."""
        self.letters = ""
        self.type_text(char)

    def backspace(self) -> None:
        """Remove the last pinyin letter, or else the last character."""
        if self.letters:
            self.letters = self.letters[:-1]
            self.refresh()
            return
        self._set(self.current, self.values.get(self.current, "")[:-1])

    def clear_field(self) -> None:
        """Empty the current field."""
        self.letters = ""
        self._set(self.current, "")

    def next_field(self) -> None:
        """Go to the next field (the first after the last)."""
        keys = [f.key for f in self.template.fields()]
        self.select(keys[(keys.index(self.current) + 1) % len(keys)])

    def _set(self, key: str, value: str) -> None:
        field = self.field(key)
        self.values[key] = value
        problem = check_field(field, value) if normalize(field, value) else None
        self.problems.pop(key, None)
        if problem is not None and field.type is FieldType.CHOICE:
            self.problems[key] = problem
        self.refresh()

    # Print or take away ------------------------------------------------------------------

    def _checked(self) -> bool:
        problems = check_values(self.template, self.values)
        self.problems = {p.key: p for p in problems}
        if problems:
            self.message = _("Please correct the items marked ⚠ ({count}).").format(
                count=len(problems))
            self.current = problems[0].key
            self.refresh()
            return False
        return True

    def _render(self) -> bytes:
        layout = ticket_format(need_font=True)
        assert layout.font_path
        return render_form_pdf(self.template, self.values, font_path=layout.font_path,
                               font_index=layout.font_index)

    def print_document(self) -> None:
        """Check every field, then render and print on the A4 printer (on a worker)."""
        if not self._checked():
            return
        printer = self.services.a4_printer
        self.busy, self.message = True, _("Printing…")
        self.refresh()

        def work() -> None:
            try:
                if printer is None:
                    raise DeviceError("no A4 printer configured")
                data = self._render()
                with tempfile.NamedTemporaryFile(suffix=".pdf") as document:  # gone after
                    document.write(data)
                    document.flush()
                    printer.print_pdf(document.name, title=self.template.title)
            except DeviceError as error:
                log.error("document not printed: %s", error)
                ui(self._done, _("The printer cannot print now. Tap “Send to phone” to take the "
                                 "document on your phone."))
            else:
                ui(self._done, _("Printed. Please take your document from the printer."))

        threading.Thread(target=work, name="print-document", daemon=True).start()

    def send_to_phone(self) -> None:
        """Check every field, then upload the PDF and show the one-time QR code."""
        if not self._checked():
            return
        client = self.services.link.client
        self.busy, self.message = True, _("Sending…")
        self.refresh()

        def work() -> None:
            try:
                if client is None:
                    raise HandoffFailed("this terminal is not connected to the server")
                stored = hand_off(client, self._render())
            except HandoffFailed as failure:
                ui(self._done, failure.message_zh)
            else:
                ui(self._done, _("Scan the code with your phone to open the document."),
                   stored.url)

        threading.Thread(target=work, name="send-document", daemon=True).start()

    def _done(self, message: str, url: str = "") -> None:
        self.busy, self.message, self.qr_url = False, message, url
        self.refresh()
        self.ids.scroll.scroll_y = 0  # the message and the code are at the end

    def reset(self) -> None:
        """Forget everything the visitor filled in."""
        self.values, self.problems = {}, {}
        self.current = self.letters = self.message = self.qr_url = ""
        self.params = {}

    def speech_text(self) -> str:
        """The form's title and fields."""
        return str(getattr(self, "spoken", self.title))
