"""法律援助预申请: from the self-check's result, the application: the facts the self-check
gathered, the matter, the other party, the economic-difficulty statement and the
个人诚信承诺, and a phone number; it becomes a case of kind legal_aid in the hall's
legal-aid queue for 初审.

The case code is made here, so the receipt (the code, its QR code to the progress page and
the materials still to bring) prints at once, also while the server cannot be reached:
the application then waits in the outbox and is delivered exactly once with the time it
was made. A ticket for the legal-aid window can be taken in the same step.
"""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from content.schema import ResultNode
from kiosk.keypad import add_keypad, keyed
from protocol.personal import mask_phone
from protocol.phone import normalize_phone
from screens.base import BaseScreen, _, localized, sentences
from screens.take_home import application_receipt, print_checklist

PHONE_LENGTH = 13
LEGAL_AID_SERVICE = "法律援助"  # the queue service a ticket is taken for
MATTERS = ("wages", "injury", "family", "traffic", "medical", "criminal", "other")
PARTIES = ("company", "person", "government", "unknown")
ECONOMIC = ("allowance", "low_income", "hardship", "exempt", "unsure")
PLEDGE = ("本人承诺以上所填情况和经济困难状况说明真实；如有虚假，愿承担相应法律责任，"
          "法律援助机构可以依法核查。")


def matter_name(key: str) -> str:
    """An application's matter in the visitor's language."""
    return {"wages": _("Unpaid wages"), "injury": _("Work injury"),
            "family": _("Marriage, family, support"), "traffic": _("Traffic accident"),
            "medical": _("Medical dispute"), "criminal": _("Criminal case"),
            "other": _("Something else")}[key]


def party_name(key: str) -> str:
    """The other party's kind in the visitor's language."""
    return {"company": _("A company or employer"), "person": _("A person"),
            "government": _("A government department"), "unknown": _("Not sure")}[key]


def economic_name(key: str) -> str:
    """An economic-difficulty statement in the visitor's language."""
    return {"allowance": _("Minimum living allowance or extreme poverty support"),
            "low_income": _("Low-income household"),
            "hardship": _("Income below the local standard"),
            "exempt": _("Not means-tested (the self-check said so)"),
            "unsure": _("Not sure; I will explain at the window")}[key]


class LegalAidApplyScreen(BaseScreen):
    """Choices as large buttons, the number on a keypad, the pledge, one button to send."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    matter = StringProperty("")
    party = StringProperty("")
    economic = StringProperty("")
    pledged = BooleanProperty(False)
    with_ticket = BooleanProperty(False)
    phone = StringProperty("")
    message = StringProperty("")
    problem = StringProperty("")  # what is missing, shown beside the submit button
    facts_text = StringProperty("")

    def on_kv_post(self, _base: Any) -> None:
        """The keypad and the choice buttons."""
        add_keypad(self.ids.keypad, self.press)
        for grid, keys, field in ((self.ids.matters, MATTERS, "matter"),
                                  (self.ids.parties, PARTIES, "party"),
                                  (self.ids.economics, ECONOMIC, "economic")):
            for key in keys:
                button = Factory.LightButton()
                button.key = key
                button.bind(on_release=lambda _w, f=field, k=key: self._choose(f, k))
                grid.add_widget(button)

    @property
    def result(self) -> ResultNode:
        """The self-check's result the visitor applies from."""
        node = self.library.flow(self.params["flow"]).nodes[self.params["result"]]
        assert isinstance(node, ResultNode)
        return node

    def refresh(self) -> None:
        """Texts in the current language, and what the self-check gathered."""
        self.title = _("Apply for legal aid")
        self.message = _("Your answers from the self-check are below. Choose the rest, "
                         "enter your phone number and confirm the pledge; the receipt "
                         "prints with your case code.")
        facts = [str(f) for f in self.params.get("facts", [])]
        self.facts_text = "\n".join(
            [localized(self.result, "title"), *(f"· {fact}" for fact in facts)])
        self._paint()

    def reset(self) -> None:
        """Forget the last visitor's application."""
        self.matter = self.party = self.economic = self.phone = self.problem = ""
        self.pledged = self.with_ticket = False

    def _choose(self, field: str, key: str) -> None:
        setattr(self, field, key)
        self.problem = ""
        self._paint()

    def _paint(self) -> None:
        theme = self.shell.theme.color
        for grid, chosen, name in ((self.ids.matters, self.matter, matter_name),
                                   (self.ids.parties, self.party, party_name),
                                   (self.ids.economics, self.economic, economic_name)):
            for button in grid.children:
                button.text = name(button.key)
                button.background = theme["selected"] if button.key == chosen \
                    else theme["surface"]

    def toggle_pledge(self) -> None:
        """个人诚信承诺: agreed or not."""
        self.pledged, self.problem = not self.pledged, ""

    def toggle_ticket(self) -> None:
        """Also take a ticket for the legal-aid window."""
        self.with_ticket = not self.with_ticket

    def press(self, digit: str) -> None:
        """One digit, or 删除."""
        self.phone = keyed(self.phone, digit, PHONE_LENGTH)

    def submit(self) -> None:
        """Queue the application, print its receipt, and take a ticket if asked."""
        missing = (not self.matter and _("Please choose what the matter is.")) or (
            not self.party and _("Please choose who the other party is.")) or (
            not self.economic and _("Please choose your economic situation.")) or (
            not normalize_phone(self.phone) and _(
                "That is not a phone number. Enter a mobile number (11 digits) or a landline "
                "with its area code.")) or (
            not self.pledged and _("Please read and confirm the pledge."))
        if missing:
            self._say(missing)
            return
        result = self.result
        details: dict[str, Any] = {
            "facts": [localized_title(result), *self.params.get("facts", [])],
            "other_party": party_name_zh(self.party), "economic": economic_name_zh(
                self.economic), "pledge": PLEDGE, "materials": list(result.materials),
            "ticket": "是" if self.with_ticket else "否"}
        made = self.services.cases.submit("legal_aid", phone=self.phone,
                                          matter=matter_name_zh(self.matter), details=details)
        number = normalize_phone(self.phone) or self.phone
        receipt = application_receipt(made.code, result, made.url, self.library,
                                      mask_phone(number))
        print_checklist(self.services.queue.printer, receipt, self._printed)
        shown = receipt.code
        ticket = self.with_ticket
        self.reset()
        if ticket:
            self.shell.nav.go("ticket", want=LEGAL_AID_SERVICE)
            return
        self.shell.nav.go("feedback_done", case_url=made.url, message=_(
            "Your application is in. Case code {code}: the receipt prints below. Bring the "
            "materials on it to the legal aid window.").format(code=shown))

    def _printed(self, error: str | None, _seconds: float) -> None:
        if error is not None:
            self.shell.speak(_("The receipt could not be printed. Please note your case code "
                               "or scan the code on the screen."))

    def _say(self, text: str) -> None:
        self.problem = text
        self.shell.speak(text)

    def speech_text(self) -> str:
        """The prompt and the facts."""
        return sentences([self.title, self.message, self.facts_text])


# The application is stored in Chinese, as the legal-aid agency reads it, whatever the
# visitor's language.
_MATTERS_ZH = {"wages": "追索劳动报酬", "injury": "工伤赔偿", "family": "婚姻家庭、赡养抚养",
               "traffic": "交通事故赔偿", "medical": "医疗纠纷", "criminal": "刑事案件",
               "other": "其他事项"}
_PARTIES_ZH = {"company": "单位或用人单位", "person": "个人", "government": "政府部门",
               "unknown": "不清楚"}
_ECONOMIC_ZH = {"allowance": "享受最低生活保障或特困供养", "low_income": "低收入家庭",
                "hardship": "收入低于当地经济困难标准", "exempt": "属于免予核查经济困难的情形",
                "unsure": "不确定，到窗口说明"}


def matter_name_zh(key: str) -> str:
    """The matter in Chinese."""
    return _MATTERS_ZH[key]


def party_name_zh(key: str) -> str:
    """The other party in Chinese."""
    return _PARTIES_ZH[key]


def economic_name_zh(key: str) -> str:
    """The economic statement in Chinese."""
    return _ECONOMIC_ZH[key]


def localized_title(result: ResultNode) -> str:
    """The self-check's result title in Chinese."""
    return f"自测结果：{result.title}"
