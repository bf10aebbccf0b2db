"""办事进度查询: the case code (and, if the visitor wants, the phone number) on a number
keypad; the server answers with the case's state and each step's message, masked.

A code that does not exist and a code with another phone number get the same answer
(the server does not say which); too many failed tries are refused for a while.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from kiosk.keypad import add_keypad, keyed
from kiosk.queue_link import CHINA_TIME
from protocol.cases import CaseProgress, shown_case_code
from screens.base import BaseScreen, _, sentences

CODE_LENGTH = 12
PHONE_LENGTH = 13  # a landline with its area code and a dash


def progress_text(progress: CaseProgress, english: bool) -> str:
    """The case as the visitor reads it: kind, state, hall, deadline, each step."""
    kind = (english and progress.kind_name_en) or progress.kind_name
    state = (english and progress.state_name_en) or progress.state_name
    lines = [_("Case {code}: {kind}").format(code=progress.code, kind=kind),
             _("State: {state}").format(state=state),
             _("Handled by: {hall}").format(hall=progress.hall_name)]
    if progress.name or progress.phone:
        lines.append(_("Applicant: {name} {phone}").format(name=progress.name,
                                                           phone=progress.phone))
    if progress.due_on is not None:
        lines.append(_("To be handled by {day}").format(day=progress.due_on.isoformat()))
    lines.append("")
    for step in progress.steps:
        when = step.at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
        name = (english and step.state_name_en) or step.state_name
        lines.append(f"{when}  {name}")
        if step.message:
            lines.append(f"    {step.message}")
    return "\n".join(lines)


class CaseProgressScreen(BaseScreen):
    """The code and the optional phone number on one keypad; the progress beside it."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    code = StringProperty("")
    phone = StringProperty("")
    field = StringProperty("code")  # the field the keypad types into
    message = StringProperty("")
    result = StringProperty("")
    busy = BooleanProperty(False)

    def on_kv_post(self, _base: Any) -> None:
        """The keypad."""
        add_keypad(self.ids.keypad, self.press)

    def refresh(self) -> None:
        """The prompt; a code handed over (from a printed receipt's screen) is filled in."""
        self.title = _("Check progress")
        if self.params.get("code"):
            self.code = str(self.params["code"])[:CODE_LENGTH]
        if not self.result:
            self.message = _("Enter the 12-digit case code from your receipt. You may add "
                             "the phone number you gave.")

    def reset(self) -> None:
        """Forget the last visitor's code, number and case."""
        self.code = self.phone = self.result = ""
        self.field, self.busy = "code", False

    def choose(self, field: str) -> None:
        """Type into the code or the phone number."""
        self.field = field

    def press(self, digit: str) -> None:
        """One digit into the chosen field, or 删除."""
        if self.field == "code":
            self.code = keyed(self.code, digit, CODE_LENGTH)
        else:
            self.phone = keyed(self.phone, digit, PHONE_LENGTH)

    @property
    def shown_code(self) -> str:
        """The code typed so far, grouped as printed (1234-5678-9012)."""
        return shown_case_code(self.code)

    def look_up(self) -> None:
        """Ask the server (off the UI thread)."""
        if len(self.code) != CODE_LENGTH:
            self._say(_("A case code has 12 digits. Please check it."))
            return
        if self.busy:
            return
        self.busy, self.result = True, ""
        self.message = _("Looking up your case…")
        self.services.cases.progress(self.code, self.phone, self._show, self._refused,
                                     self._offline)

    def _show(self, progress: CaseProgress) -> None:
        self.busy = False
        self.message = ""
        self.result = progress_text(progress, self.shell.state.language == "en")
        self.shell.speak(sentences([progress.kind_name, progress.state_name]))

    def _refused(self, reason: str) -> None:
        self.busy = False
        texts = {
            "not_found": _("No case was found for this code (and phone number). Please "
                           "check them, or ask at the service desk."),
            "rate_limited": _("Too many codes were tried. Please ask at the service desk."),
        }
        self._say(texts.get(reason, _("The case could not be looked up. Please ask at the "
                                      "service desk.")))

    def _offline(self) -> None:
        self.busy = False
        self._say(_("Progress cannot be checked now: no connection to the server. Please "
                    "ask at the service desk or call {hotline}.").format(
                        hotline=self.services.config.terminal.hotline))

    def _say(self, text: str) -> None:
        self.result, self.message = "", text
        self.shell.speak(text)

    def speech_text(self) -> str:
        """The prompt or the case."""
        return sentences([self.title, self.message, self.result])
